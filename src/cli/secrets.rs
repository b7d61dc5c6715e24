//! `maestroc secrets --env NAME --from FILE`: the environment's Secrets, filled from a local,
//! git-ignored file, printed for `kubectl apply -f -`. A development cluster without a secret
//! store can then run; no value is ever written under `output/` or anywhere else.
//!
//! The file holds one `secret.key=value` per line (`#` comments and blank lines allowed;
//! quotes around the value are removed): `mlflow-db.POSTGRES_PASSWORD=…`. A secret name has no
//! dot, so the first dot separates it from the key (`jwt.jwtRS256.key.pub=…`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use super::input::{compile_spec, load_config, print_finding};
use super::{EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;

#[derive(Debug, clap::Args)]
pub struct SecretsArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: PathBuf,
    /// The environment whose Secrets to print (`base` when the spec declares none).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// A local file of `secret.key=value` lines; keep it out of Git.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
}

/// Reads `secret.key=value` lines. Errors name the line, never its value.
fn read_values(text: &str) -> Result<BTreeMap<(String, String), String>, String> {
    let mut values = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected `secret.key=value`", i + 1));
        };
        let name = name.trim().trim_start_matches("export ").trim();
        let Some((secret, key)) = name.split_once('.') else {
            return Err(format!(
                "line {}: `{name}` names no key; write `secret.key=value`",
                i + 1
            ));
        };
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        values.insert((secret.to_string(), key.to_string()), unquoted.to_string());
    }
    Ok(values)
}

pub fn run(args: &SecretsArgs) -> u8 {
    let (compiled, _) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let text = match crate::read::capped_text(&args.from, crate::read::MAX_SIDE_FILE_BYTES) {
        Ok(t) => t,
        Err(e) => {
            print_finding(
                Finding::new("MC090", format!("cannot read {}: {e}", args.from.display())).help(
                    "write one `secret.key=value` per line, e.g. `mlflow-db.POSTGRES_PASSWORD=…`",
                ),
            );
            return EXIT_INPUT;
        }
    };
    let values = match read_values(&text) {
        Ok(v) => v,
        Err(e) => {
            print_finding(Finding::new(
                "MC004",
                format!("{}: {e}", args.from.display()),
            ));
            return EXIT_INPUT;
        }
    };
    let p = &compiled.platform;
    // Every entry must name a declared secret and key: a typo would silently go unused.
    for (secret, key) in values.keys() {
        let declared = p
            .secrets
            .iter()
            .find(|s| &s.name.value == secret)
            .is_some_and(|s| s.keys.iter().any(|k| &k.value == key));
        if !declared {
            print_finding(
                Finding::new(
                    "MC007",
                    format!(
                        "{}: `{secret}.{key}` is not a key of a secret the spec declares",
                        args.from.display()
                    ),
                )
                .help("every line names a `secret` of platform.kdl and one of its `key`s"),
            );
            return EXIT_INPUT;
        }
    }
    let t = match super::input::target(p, Some(args.env.as_deref().unwrap_or("base"))) {
        Ok(t) => t,
        Err(code) => return code,
    };
    match crate::emit::secrets::filled(&t, &values) {
        Ok(yaml) => {
            let _ = std::io::stdout().write_all(yaml.as_bytes());
            EXIT_OK
        }
        Err(missing) => {
            print_finding(
                Finding::new(
                    "MC005",
                    format!(
                        "{} lacks values for: {}",
                        args.from.display(),
                        missing.join(", ")
                    ),
                )
                .help("add a `secret.key=value` line for each"),
            );
            EXIT_INPUT
        }
    }
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
}
