//! `maestroc render [--env NAME]`: one environment's objects as a single YAML stream on stdout,
//! in apply order — byte for byte `cat output/k8s/<env>/*.yaml` of what `build` writes — for
//! `kubectl apply -f -`, `kubectl diff -f -` and GitOps plugins. Writes nothing to disk.

use std::io::Write;

use super::input::{compile_spec, load_config};
use super::{EXIT_INPUT, EXIT_OK};

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: std::path::PathBuf,
    /// The environment to render (`base` when the spec declares none); may be left out when
    /// there is only one.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

pub fn run(args: &RenderArgs) -> u8 {
    let (_, files) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let wanted = match environment(&files, args.env.as_deref()) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let prefix = format!("k8s/{wanted}/");
    let mut out = std::io::stdout().lock();
    for (_, text) in files
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
    {
        // A closed pipe (`maestroc render | head`) ends the stream quietly.
        if out.write_all(text.as_bytes()).is_err() {
            return EXIT_OK;
        }
    }
    EXIT_OK
}

/// The environment a command works on: `wanted`, or the only one the build has; a message
/// and the exit code when neither names one the spec declares.
pub(super) fn environment(files: &crate::emit::Files, wanted: Option<&str>) -> Result<String, u8> {
    // The environments are the directories of output/k8s/, and their files' names sort in
    // apply order (00-namespace, 01-secrets, 10-<service>, …): the order `build` numbers.
    let mut envs: Vec<&str> = files
        .keys()
        .filter_map(|p| p.strip_prefix("k8s/")?.split_once('/').map(|(e, _)| e))
        .collect();
    envs.dedup();
    let wanted = match (wanted, envs.as_slice()) {
        (Some(e), _) => e,
        (None, [only]) => only,
        (None, _) => {
            eprintln!(
                "error: the spec declares several environments; choose one with --env: {}",
                envs.join(", ")
            );
            return Err(EXIT_INPUT);
        }
    };
    if !envs.contains(&wanted) {
        let help = crate::spec::did_you_mean(wanted, envs.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        eprintln!(
            "error: no environment `{wanted}`{help}; the spec declares: {}",
            envs.join(", ")
        );
        return Err(EXIT_INPUT);
    }
    Ok(wanted.to_string())
}
