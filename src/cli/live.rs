//! `maestroc diff --live`: the cluster's objects — from `--from FILE|-` (a `kubectl get -o
//! yaml` stream) or fetched with `kubectl` itself — against the environment's build. Exit 1 on
//! drift; findings (MC211) in the formats of `check`.

use std::process::Command;

use super::check::{Format, print_as};
use super::input::{compile_only, emit_spec, load_config, target};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;

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

/// The cluster's objects of every kind the build has. One `kubectl get` per kind, so a kind
/// the cluster does not serve (a ServiceMonitor without the Prometheus operator) leaves the
/// others readable; its objects are then missing. Not selected by maestroc's labels: an
/// adopted spec may keep the labels the objects had (`managed-by: Helm`), and an object
/// fetched by label only would then be reported missing. `in_scope` keeps what the build's
/// namespaces hold.
fn fetch(kinds: &[String], context: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    for kind in kinds {
        let mut cmd = Command::new("kubectl");
        if let Some(c) = context {
            cmd.args(["--context", c]);
        }
        cmd.args(["get", kind, "--all-namespaces", "-o", "yaml"]);
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

/// The cluster's objects that can pair with the build or be its leftovers: those in the
/// namespaces the build writes to, and cluster-scoped ones (Namespaces) the build names or
/// this platform labels.
fn in_scope(
    cluster: Vec<serde_json::Value>,
    build: &[serde_json::Value],
    platform: &str,
) -> Vec<serde_json::Value> {
    let keys: std::collections::HashSet<crate::live::Key> =
        build.iter().filter_map(crate::live::Key::of).collect();
    let namespaces: std::collections::HashSet<String> = keys
        .iter()
        .filter(|k| !k.namespace.is_empty())
        .map(|k| k.namespace.clone())
        .collect();
    cluster
        .into_iter()
        .filter(|o| {
            let Some(k) = crate::live::Key::of(o) else {
                return false;
            };
            if k.namespace.is_empty() {
                keys.contains(&k)
                    || o["metadata"]["labels"]["app.kubernetes.io/part-of"] == platform
            } else {
                namespaces.contains(&k.namespace)
            }
        })
        .collect()
}

/// `--from`: a file, or `-` for stdin, up to the import cap.
fn read_from(path: &std::path::Path) -> Result<String, String> {
    let cap = crate::read::MAX_IMPORT_BYTES;
    if path.as_os_str() == "-" {
        return crate::read::capped_from(std::io::stdin().lock(), cap)
            .and_then(crate::read::utf8)
            .map_err(|e| format!("cannot read stdin: {e}"));
    }
    crate::read::capped_text(path, cap).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub fn run(spec: &std::path::Path, args: &LiveArgs) -> u8 {
    let config = match load_config(spec) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (compiled, source, _) = match compile_only(spec, &config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let files = match emit_spec(&compiled, &source) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let target = match target(&compiled.platform, args.env.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
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
    let build_text: String = crate::emit::environment_files(&files, target.name()).collect();
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
            fetch(&kinds, args.context.as_deref())
        }
    };
    let cluster = match cluster_text.and_then(|t| crate::live::objects(&t)) {
        Ok(c) => in_scope(c, &build, platform),
        Err(e) => return fail(e),
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
