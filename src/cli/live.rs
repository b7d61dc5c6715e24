//! `maestroc diff --live`: the cluster's objects — from `--from FILE|-` (a `kubectl get -o
//! yaml` stream) or fetched with `kubectl` itself — against the environment's build. Exit 1 on
//! drift; findings (MC211) in the formats of `check`.

use std::io::Read;
use std::process::Command;

use super::check::{Format, print_as};
use super::input::{compile_spec, load_config};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;
use crate::report::SourceFile;

#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Compare with the running cluster instead of output/.
    #[arg(long)]
    pub live: bool,
    /// The environment to compare (`base` when the spec declares none).
    #[arg(long, value_name = "NAME", requires = "live")]
    pub env: Option<String>,
    /// The cluster's objects as YAML (`kubectl get … -o yaml`; `-` for stdin) instead of
    /// running kubectl.
    #[arg(long, value_name = "FILE", requires = "live")]
    pub from: Option<std::path::PathBuf>,
    /// The kubectl context to read the cluster from.
    #[arg(long, value_name = "CTX", requires = "live", conflicts_with = "from")]
    pub context: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human, requires = "live")]
    pub format: Format,
}

/// The cluster's copy of every kind the build has, labelled as this platform's. One
/// `kubectl get` per kind, so a kind the cluster does not serve (a ServiceMonitor without
/// the Prometheus operator) leaves the others readable; its objects are then missing.
fn fetch(kinds: &[String], platform: &str, context: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    for kind in kinds {
        let mut cmd = Command::new("kubectl");
        if let Some(c) = context {
            cmd.args(["--context", c]);
        }
        cmd.args(["get", kind, "--all-namespaces", "-o", "yaml", "-l"])
            .arg(format!(
                "app.kubernetes.io/managed-by=maestroc,app.kubernetes.io/part-of={platform}"
            ));
        let o = cmd
            .output()
            .map_err(|e| format!("cannot run kubectl: {e}"))?;
        let err = String::from_utf8_lossy(&o.stderr);
        if !o.status.success() {
            if err.contains("doesn't have a resource type") {
                continue;
            }
            return Err(format!("kubectl get {kind}: {}", err.trim()));
        }
        out.push_str("\n---\n");
        out.push_str(&String::from_utf8_lossy(&o.stdout));
    }
    Ok(out)
}

fn read_from(path: &std::path::Path) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(crate::read::MAX_IMPORT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        if buf.len() as u64 > crate::read::MAX_IMPORT_BYTES {
            return Err("stdin is larger than the import cap (256 MiB)".into());
        }
        return String::from_utf8(buf).map_err(|_| "stdin is not UTF-8".into());
    }
    crate::read::capped_text(path, crate::read::MAX_IMPORT_BYTES)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub fn run(spec: &std::path::Path, args: &LiveArgs) -> u8 {
    let config = match load_config(spec) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (compiled, files) = match compile_spec(spec, &config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let env = match super::render::environment(&files, args.env.as_deref()) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let source = match super::input::read_spec(spec) {
        Ok(s) => s,
        Err(_) => SourceFile::new(spec.display().to_string(), ""),
    };
    let fail = |msg: String| {
        print_as(
            "diff --live",
            args.format,
            &[Finding::new("MC090", msg)],
            &source,
        );
        EXIT_INPUT
    };
    let prefix = format!("k8s/{env}/");
    let build_text: String = files
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .map(|(_, t)| t.as_str())
        .collect();
    let build = match crate::live::objects(&build_text) {
        Ok(b) => b,
        Err(e) => return fail(format!("the build does not read back: {e}")),
    };
    let platform = &compiled.platform.name.value;
    let cluster_text = match &args.from {
        Some(path) => read_from(path),
        None => {
            let mut kinds: Vec<String> = build
                .iter()
                .filter_map(crate::live::Key::of)
                .map(|k| match k.group.as_str() {
                    "" => k.kind.to_lowercase(),
                    g => format!("{}.{g}", k.kind.to_lowercase()),
                })
                .collect();
            kinds.sort();
            kinds.dedup();
            fetch(&kinds, platform, args.context.as_deref())
        }
    };
    let cluster = match cluster_text.and_then(|t| crate::live::objects(&t)) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let Some(target) = crate::target::Target::all(&compiled.platform)
        .into_iter()
        .find(|t| t.name() == env)
    else {
        return fail(format!("no environment `{env}`"));
    };
    let drift = crate::live::compare(&build, &cluster, platform, &config.live_ignore);
    let findings: Vec<Finding> = drift
        .iter()
        .map(|d| crate::live::attribute::finding(&target, d))
        .collect();
    print_as("diff --live", args.format, &findings, &source);
    if findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}
