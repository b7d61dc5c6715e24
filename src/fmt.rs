//! `maestroc fmt`: the canonical layout of platform.kdl. Conservative by design: it re-indents
//! by nesting depth (four spaces), strips trailing whitespace, keeps at most one blank line,
//! none just inside braces, one between top-level blocks, and a final newline. It never
//! touches strings, comments, entries or their alignment, so nothing a person wrote is lost.

use crate::diagnostic::Finding;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    Str,
    RawStr(usize),
    MultiStr,
    BlockComment(usize),
}

/// Per line: the brace depth at its start, whether it starts inside a multi-line string or
/// block comment (such lines are left exactly as they are), and whether it ends outside one
/// (only then may trailing whitespace go).
fn scan(text: &str) -> Vec<(i32, bool, bool)> {
    let mut out = Vec::new();
    let mut depth: i32 = 0;
    let mut state = State::Normal;
    for line in text.split('\n') {
        let verbatim = matches!(
            state,
            State::MultiStr | State::BlockComment(_) | State::RawStr(_)
        );
        let start_depth = depth;
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match state {
                State::Normal => match b[i] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    b'"' if line[i..].starts_with("\"\"\"") => {
                        state = State::MultiStr;
                        i += 2;
                    }
                    b'"' => state = State::Str,
                    b'#' if line[i..].trim_start_matches('#').starts_with('"') => {
                        let hashes = line[i..].len() - line[i..].trim_start_matches('#').len();
                        state = State::RawStr(hashes);
                        i += hashes;
                    }
                    b'/' if line[i..].starts_with("//") => break,
                    b'/' if line[i..].starts_with("/*") => {
                        state = State::BlockComment(1);
                        i += 1;
                    }
                    _ => {}
                },
                State::Str => match b[i] {
                    b'\\' => i += 1,
                    b'"' => state = State::Normal,
                    _ => {}
                },
                State::MultiStr => {
                    if b[i] == b'\\' {
                        i += 1;
                    } else if line[i..].starts_with("\"\"\"") {
                        state = State::Normal;
                        i += 2;
                    }
                }
                State::RawStr(n) => {
                    if b[i] == b'"' && line[i + 1..].starts_with(&"#".repeat(n)) {
                        state = State::Normal;
                        i += n;
                    }
                }
                State::BlockComment(d) => {
                    if line[i..].starts_with("*/") {
                        state = if d == 1 {
                            State::Normal
                        } else {
                            State::BlockComment(d - 1)
                        };
                        i += 1;
                    } else if line[i..].starts_with("/*") {
                        state = State::BlockComment(d + 1);
                        i += 1;
                    }
                }
            }
            i += 1;
        }
        // A single-line string cannot span lines; a line that leaves one open is invalid KDL,
        // which `format` has refused already.
        if state == State::Str {
            state = State::Normal;
        }
        let ends_normal = matches!(state, State::Normal);
        out.push((start_depth, verbatim, ends_normal));
    }
    out
}

/// The canonical layout of `text`, which must be valid KDL.
pub fn format(text: &str) -> Result<String, Vec<Finding>> {
    let parsed = crate::spec::parse(text);
    let syntax: Vec<Finding> = parsed
        .findings
        .into_iter()
        .filter(|f| f.code() == "MC001")
        .collect();
    if !syntax.is_empty() {
        return Err(syntax);
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let info = scan(text);
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for (k, line) in lines.iter().enumerate() {
        let (depth, verbatim, ends_normal) = info[k];
        if verbatim {
            out.push((*line).to_string());
            continue;
        }
        let body = if ends_normal {
            line.trim()
        } else {
            line.trim_start()
        };
        if body.is_empty() {
            // At most one blank line, and none right after an opening brace.
            let prev = out.last().map(|l| l.trim_end());
            if prev.is_some_and(|p| !p.is_empty() && !p.ends_with('{')) {
                out.push(String::new());
            }
            continue;
        }
        let level = if body.starts_with('}') {
            depth - 1
        } else {
            depth
        }
        .max(0) as usize;
        if body.starts_with('}') {
            // No blank line just before a closing brace.
            while out.last().is_some_and(|l| l.is_empty()) {
                out.pop();
            }
        } else if level == 0 && out.last().is_some_and(|l| l.trim_end() == "}") {
            // One blank line between top-level blocks.
            out.push(String::new());
        }
        out.push(format!("{}{body}", "    ".repeat(level)));
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    while out.first().is_some_and(|l| l.is_empty()) {
        out.remove(0);
    }
    let mut formatted = out.join("\n");
    formatted.push('\n');
    // Layout only: the document must mean exactly what it meant.
    if !same_document(text, &formatted) {
        return Err(vec![
            Finding::new(
                "MC001",
                "internal error: formatting would change the document; nothing was written",
            )
            .help("please report this spec to the maestroc maintainers"),
        ]);
    }
    Ok(formatted)
}

fn same_document(a: &str, b: &str) -> bool {
    let norm = |t: &str| {
        t.parse::<kdl::KdlDocument>().ok().map(|mut d| {
            d.autoformat();
            d.to_string()
        })
    };
    matches!((norm(a), norm(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindents_and_keeps_everything_else() {
        let text = "// top\n\n\n\nplatform \"p\"   {\n  namespace   \"p\"  // trailing {\n\n}\nservice \"a\" {   \n        port http 8080    scheme=\"http{\"\n  /* a { block\n     comment } */\n  image \"x:1\"\n}";
        let want = "// top\n\nplatform \"p\"   {\n    namespace   \"p\"  // trailing {\n}\n\nservice \"a\" {\n    port http 8080    scheme=\"http{\"\n    /* a { block\n     comment } */\n    image \"x:1\"\n}\n";
        let got = format(text).unwrap();
        assert_eq!(got, want);
        assert_eq!(format(&got).unwrap(), got, "idempotent");
    }

    #[test]
    fn refuses_broken_kdl() {
        let errs = format("platform \"p\" {\n").unwrap_err();
        assert_eq!(errs[0].code(), "MC001");
    }

    #[test]
    fn the_bundled_spec_is_canonical() {
        let text = include_str!("../platform.kdl");
        assert_eq!(format(text).unwrap(), text);
    }
}
