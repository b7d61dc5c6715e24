//! The local values file of credentials (`imported.secrets`, `maestroc secrets --from`): one
//! `secret.key=value` per line (`#` comments and blank lines allowed; quotes around the value
//! are removed), and a value of several lines (a PEM key) as `secret.key<<EOF`, its lines, then
//! `EOF` alone on a line. `import` writes it, `secrets` reads it: one format, one module.

use std::collections::BTreeMap;

/// Reads `secret.key=value` lines, and multi-line values (a PEM key) as `secret.key<<DELIM`,
/// the value's lines, then `DELIM` alone on a line — the form GitHub Actions' `$GITHUB_ENV`
/// uses; an empty line before `DELIM` keeps a final newline. Errors name the line, never its
/// value.
pub fn read_values(text: &str) -> Result<BTreeMap<(String, String), String>, String> {
    let mut values = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let heredoc = line
            .split_once("<<")
            .filter(|(name, _)| !name.contains('='));
        let (name, value) = match heredoc {
            Some((name, delim)) => {
                let delim = delim.trim();
                if delim.is_empty() {
                    return Err(format!("line {}: `<<` names no closing line", i + 1));
                }
                let mut body: Vec<&str> = Vec::new();
                loop {
                    match lines.next() {
                        Some((_, l)) if l == delim => break,
                        Some((_, l)) => body.push(l),
                        None => {
                            return Err(format!(
                                "line {}: no line `{delim}` closes this value",
                                i + 1
                            ));
                        }
                    }
                }
                (name, body.join("\n"))
            }
            None => {
                let Some((name, value)) = line.split_once('=') else {
                    return Err(format!("line {}: expected `secret.key=value`", i + 1));
                };
                let value = value.trim();
                let unquoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .unwrap_or(value);
                (name, unquoted.to_string())
            }
        };
        let name = name.trim().trim_start_matches("export ").trim();
        let Some((secret, key)) = name.split_once('.') else {
            return Err(format!(
                "line {}: `{name}` names no key; write `secret.key=value`",
                i + 1
            ));
        };
        values.insert((secret.to_string(), key.to_string()), value);
    }
    Ok(values)
}

/// One value as the values file says it: `secret.key=value`, or for a value of several lines
/// `secret.key<<DELIM` … `DELIM` with a delimiter that is no line of the value.
pub fn values_line(secret: &str, key: &str, value: &str) -> String {
    if !value.contains('\n') {
        return format!("{secret}.{key}={value}\n");
    }
    let mut delim = "EOF".to_string();
    let mut n = 0;
    while value.lines().any(|l| l == delim) {
        n += 1;
        delim = format!("EOF_{n}");
    }
    format!("{secret}.{key}<<{delim}\n{value}\n{delim}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_secret_key_value_lines() {
        let v =
            read_values("# dev\nexport db.PASSWORD=\"p w\"\njwt.jwtRS256.key.pub='k'\n\n").unwrap();
        assert_eq!(v[&("db".into(), "PASSWORD".into())], "p w");
        assert_eq!(v[&("jwt".into(), "jwtRS256.key.pub".into())], "k");
        let e = read_values("db.PASSWORD=hunter2\nnonsense\n").unwrap_err();
        assert_eq!(e, "line 2: expected `secret.key=value`");
        assert!(
            !read_values("PASSWORD=hunter2\n")
                .unwrap_err()
                .contains("hunter2")
        );
    }

    #[test]
    fn multi_line_values_round_trip_through_their_delimited_form() {
        for value in [
            "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n",
            "a\nb",
            "EOF\nEOF_1\nx",
            "one = two\n  indented\n",
        ] {
            let text = format!(
                "# k\n{}db.PASSWORD=x\n",
                values_line("jwt", "key.pem", value)
            );
            let v = read_values(&text).unwrap();
            assert_eq!(v[&("jwt".into(), "key.pem".into())], value, "{text}");
            assert_eq!(v[&("db".into(), "PASSWORD".into())], "x");
        }
        let e = read_values("jwt.key<<EOF\nsecret line\n").unwrap_err();
        assert_eq!(e, "line 1: no line `EOF` closes this value");
        assert!(!e.contains("secret line"));
        // `<<` inside a single-line value is that value.
        let v = read_values("db.PASSWORD=a<<b\n").unwrap();
        assert_eq!(v[&("db".into(), "PASSWORD".into())], "a<<b");
    }
}
