//! `maestroc secrets --env NAME --from FILE`: the environment's Secrets, filled from a local,
//! git-ignored file, printed for `kubectl apply -f -`. A development cluster without a secret
//! store can then run; no value is ever written under `output/` or anywhere else.
//!
//! The file holds one `secret.key=value` per line (`#` comments and blank lines allowed;
//! quotes around the value are removed): `mlflow-db.POSTGRES_PASSWORD=…`. A secret name has no
//! dot, so the first dot separates it from the key (`jwt.jwtRS256.key.pub=…`). A value of
//! several lines (a PEM key) is `jwt.key.pem<<EOF`, its lines, then `EOF` alone on a line.

use std::io::Write;
use std::path::PathBuf;

use super::input::{compile_spec, load_config, print_finding};
use super::{EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;
use crate::secrets_file::read_values;

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
