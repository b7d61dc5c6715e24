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
    assert!(report["summary"]["resource_count"].as_u64().unwrap() > 10);
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

fn judge(spec: &str, env: &str) {
    let (compiled, findings) = compile(spec);
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
        match check.as_str() {
            // By construction: a NetworkPolicy for every pod, never the default namespace,
            // no unpinned image in a spec that MC401 passes.
            "CKV2_K8S_6" | "CKV_K8S_21" | "CKV_K8S_14" => {
                panic!("{check} failed on {name}: maestroc guarantees it")
            }
            // Probes come from `health`: only a service without it may fail.
            "CKV_K8S_8" | "CKV_K8S_9" => {
                assert!(
                    svc(name).health.is_none(),
                    "{check} failed on {name}, which has health"
                )
            }
            // Requests and limits come from `resources` or `defaults`.
            "CKV_K8S_10" | "CKV_K8S_11" | "CKV_K8S_12" | "CKV_K8S_13" => {
                let r = t
                    .resources(svc(name))
                    .unwrap_or_else(|| panic!("{name} has no resources"));
                let field = match check.as_str() {
                    "CKV_K8S_10" => &r.cpu,
                    "CKV_K8S_11" => &r.cpu_limit,
                    "CKV_K8S_12" => &r.memory,
                    _ => &r.memory_limit,
                };
                assert!(
                    field.is_none(),
                    "{check} failed on {name}, whose spec sets it"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn bundled_production_passes_what_maestroc_guarantees() {
    judge(include_str!("../platform.kdl"), "production");
}

#[test]
fn forecasting_dev_passes_what_maestroc_guarantees() {
    judge(include_str!("fixtures/forecasting/platform.kdl"), "dev");
}

#[test]
fn checkov_sees_what_the_spec_leaves_out() {
    let (compiled, _) = compile(include_str!("../platform.kdl"));
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let failed = failures(&files, "production");
    // redis sets no cpu-limit; airflow-scheduler has no port to probe.
    assert!(
        failed.contains(&("CKV_K8S_11".to_string(), "redis".to_string())),
        "{failed:?}"
    );
    assert!(
        failed.contains(&("CKV_K8S_8".to_string(), "airflow-scheduler".to_string())),
        "{failed:?}"
    );
}
