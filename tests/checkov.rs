//! checkov (installed by scripts/setup-tools, always `--skip-download`: no network here)
//! judges the emitted manifests. The checks maestroc guarantees by construction never fail;
//! the checks that depend on what the spec says fail exactly where the spec leaves the field
//! out (a service without `health`, without a CPU limit), nowhere else.

use std::collections::BTreeSet;
use std::process::Command;

use maestroc::model::Service;
use maestroc::resolve::compile;

/// (check id, resource name) of every failed check on the objects of `files`.
fn failures(files: &maestroc::emit::Files, env: &str) -> BTreeSet<(String, String)> {
    // Not tempdir()'s `.tmpXXXX`: checkov skips hidden directories.
    let dir = tempfile::Builder::new()
        .prefix("checkov-")
        .tempdir()
        .unwrap();
    let prefix = format!("k8s/{env}/");
    for (rel, content) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        let path = dir.path().join(rel.trim_start_matches(&prefix));
        std::fs::write(path, content).unwrap();
    }
    let out = Command::new("checkov")
        .args([
            "--skip-download",
            "--quiet",
            "--compact",
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "-d",
        ])
        .arg(dir.path())
        .output()
        .expect("checkov not found: run the tests with `bash scripts/test`");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let report = if report.is_array() {
        report[0].clone()
    } else {
        report
    };
    assert_eq!(report["summary"]["parsing_errors"], 0);
    assert!(report["summary"]["resource_count"].as_u64().unwrap() >= 3);
    report["results"]["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let resource = c["resource"].as_str().unwrap();
            let name = resource.rsplit('.').next().unwrap().to_string();
            (c["check_id"].as_str().unwrap().to_string(), name)
        })
        .collect()
}

/// Every failed check on the output of `spec` in `env` must be one the spec's own choices
/// explain; everything else — Pod Security, capabilities, tokens, resources, NetworkPolicies —
/// maestroc guarantees, or the spec gives back with a reasoned `allow` (a skip annotation that
/// checkov honours and that this test reads back).
fn judge(spec: &str, env: &str) -> BTreeSet<(String, String)> {
    judge_with(spec, env, false)
}

/// `strict`: only the three checks the issue allows may fail (image digests, secrets as env,
/// pull policy) — no low UID, no missing probe.
fn judge_with(spec: &str, env: &str, strict: bool) -> BTreeSet<(String, String)> {
    judge_in(spec, None, env, strict)
}

/// As `judge_with`, reading the files the spec names (`extra`, `patch file=`) from `dir`.
fn judge_in(
    spec: &str,
    dir: Option<&std::path::Path>,
    env: &str,
    strict: bool,
) -> BTreeSet<(String, String)> {
    let load = |rel: &str| -> Result<String, String> {
        let dir = dir.ok_or_else(|| format!("{rel}: no directory"))?;
        std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string())
    };
    let (compiled, findings) =
        maestroc::resolve::compile_from(spec, &maestroc::config::Config::default(), &load);
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let files = maestroc::emit::emit(&compiled).unwrap();
    let failed = failures(&files, env);
    let p = &compiled.platform;
    let t = maestroc::target::Target::all(p)
        .into_iter()
        .find(|t| t.name() == env)
        .unwrap();
    let svc = |name: &str| -> &Service {
        p.services
            .iter()
            .find(|s| s.name.value == name)
            .unwrap_or_else(|| panic!("checkov names `{name}`, which is not a spec service"))
    };
    for (check, name) in &failed {
        let s = svc(name);
        let explained = match check.as_str() {
            // Images pinned by tag, not digest: the spec's choice (MC401 passes tags).
            "CKV_K8S_43" => t.image(s).is_some_and(|i| !i.contains("@sha256:")),
            // Secrets as env vars: the spec asked for `env NAME secret=`.
            "CKV_K8S_35" => t
                .env(s)
                .iter()
                .any(|v| matches!(v.value, maestroc::model::EnvValue::Secret { .. })),
            // Pull policy other than Always: the environment's `image-pull-policy`.
            "CKV_K8S_15" => t.pull_policy() != Some("Always"),
            // A UID below 10000: the spec's `run-as-user` for an image that needs its own user.
            // (the service's own, or the platform's `defaults`)
            "CKV_K8S_40" => s.identity(p).0.is_some_and(|u| u < 10000),
            // Probes come from `health`: only a service without it may fail.
            "CKV_K8S_8" | "CKV_K8S_9" if !strict => s.health.is_none(),
            _ => false,
        };
        assert!(
            explained,
            "{check} failed on {name}: maestroc guarantees it or the spec must give a reason"
        );
    }
    failed
}

/// The reasons of every `allow`, as checkov's skip annotations carry them.
fn skip_reasons(spec: &str) -> BTreeSet<String> {
    let (compiled, _) = compile(spec);
    let compiled = compiled.unwrap();
    compiled
        .platform
        .services
        .iter()
        .flat_map(|s| &s.allows)
        .filter_map(|a| a.reason.as_ref().map(|r| r.value.clone()))
        .collect()
}

#[test]
fn bundled_production_fails_only_what_the_spec_chooses() {
    judge_with(include_str!("../platform.kdl"), "production", true);
}

#[test]
fn bundled_minikube_fails_only_what_the_spec_chooses() {
    judge_with(include_str!("../platform.kdl"), "minikube", true);
}

#[test]
fn fleet_fails_only_what_the_spec_chooses() {
    judge_with(include_str!("fixtures/fleet/platform.kdl"), "prod", true);
}

#[test]
fn forecasting_dev_fails_only_what_the_spec_chooses() {
    judge(include_str!("fixtures/forecasting/platform.kdl"), "dev");
}

/// A privilege given back with a reason is skipped by checkov with that reason; without the
/// `allow`, the same pod fails those checks.
#[test]
fn reasoned_privileges_are_skipped_and_read_back() {
    let spec = r#"platform "p" { namespace "p" }
service "db" {
    image "registry.local/p/db:1.0.0"
    port pg 5432
    health tcp=pg
    allow "root" reason="the image initialises its data dir as root"
    allow "writable-root" reason="writes its lock files all over /"
}
"#;
    let failed = judge(spec, "base");
    assert!(
        !failed
            .iter()
            .any(|(c, _)| ["CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_40"].contains(&c.as_str())),
        "{failed:?}"
    );
    assert_eq!(
        skip_reasons(spec),
        BTreeSet::from([
            "the image initialises its data dir as root".to_string(),
            "writes its lock files all over /".to_string()
        ])
    );
    let (compiled, _) = compile(spec);
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let text = &files["k8s/base/10-db.yaml"];
    assert!(
        text.contains("CKV_K8S_23=the image initialises its data dir as root"),
        "{text}"
    );
    // The same pod without the allows: checkov fails exactly those checks.
    let bare = spec
        .lines()
        .filter(|l| !l.contains("allow"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("port pg 5432", "port pg 5432\n    run-as-user 0");
    let (compiled, _) = compile(&bare);
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let failed = failures(&files, "base");
    assert!(
        failed.contains(&("CKV_K8S_40".to_string(), "db".to_string())),
        "{failed:?}"
    );
}

/// `allow "capabilities"` explains every check an added capability fails, CKV_K8S_25
/// (added capabilities) included: nothing fails that the spec's reason does not cover.
#[test]
fn added_capabilities_are_explained_by_their_allow() {
    let spec = r#"platform "p" {
    namespace "p"
    pod-security "privileged" namespace="p"
}
service "fuse" {
    image "registry.local/p/fuse:1.0.0"
    port http 8080
    health tcp=http
    allow "capabilities" "SYS_ADMIN" reason="mounts a FUSE filesystem"
}
"#;
    let failed = judge(spec, "base");
    assert!(
        !failed
            .iter()
            .any(|(c, _)| ["CKV_K8S_25", "CKV_K8S_37", "CKV_K8S_39"].contains(&c.as_str())),
        "{failed:?}"
    );
}

/// Every other fixture that builds: only failures its spec explains (the adopted shop and
/// bank keep their demos' choices: no probes on some sidecars, pull policies, tags).
#[test]
fn every_fixture_fails_only_what_its_spec_chooses() {
    judge(include_str!("fixtures/shop/platform.kdl"), "base");
    judge(include_str!("fixtures/bank/platform.kdl"), "base");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["bank-adopt", "lessons"] {
        let dir = fixtures.join(name);
        let spec = std::fs::read_to_string(dir.join("platform.kdl")).unwrap();
        judge_in(&spec, Some(&dir), "base", false);
    }
    for env in ["dev", "prod", "edge"] {
        judge(include_str!("fixtures/operations/platform.kdl"), env);
    }
}

/// A platform in namespace `default` fails CKV_K8S_21 on every object, and the spec's
/// `namespace "default"` explains it: each object carries a skip with that reason. With the
/// skip renamed away, checkov reports the check — so this test can fail.
#[test]
fn the_default_namespace_is_the_specs_choice() {
    let spec = r#"platform "p" { namespace "default" }
secret "db" { key PASSWORD }
service "api" {
    image "registry.local/p/api:1.0.0"
    port http 8080
    health tcp=http
    env PASSWORD secret="db"
    allow "root" reason="the image initialises its data dir as root"
}
"#;
    let failed = judge(spec, "base");
    assert!(!failed.iter().any(|(c, _)| c == "CKV_K8S_21"), "{failed:?}");
    let (compiled, _) = compile(spec);
    let mut files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let text = &files["k8s/base/10-api.yaml"];
    assert!(text.contains("checkov.io/skip1: CKV_K8S_21="), "{text}");
    assert!(
        text.contains("=the image initialises its data dir as root"),
        "{text}"
    );
    for content in files.values_mut() {
        *content = content.replace("CKV_K8S_21=", "CKV_K8S_0=");
    }
    let failed = failures(&files, "base");
    let defaulted: BTreeSet<&str> = failed
        .iter()
        .filter(|(c, _)| c == "CKV_K8S_21")
        .map(|(_, n)| n.as_str())
        .collect();
    assert!(
        defaulted.contains("api") && defaulted.contains("service-ports"),
        "{failed:?}"
    );
}
