//! Names are checked by what their uses require, and a suggested fix is itself valid: a
//! platform name becomes a chart name and a default namespace (DNS-1123 labels: `254carbon` is
//! fine), a service name a Service name (DNS-1035: a letter first). The downward API takes a
//! label or annotation by its key.

mod common;
use common::maestroc;

fn spec(dir: &std::path::Path, platform: &str, service: &str, field: &str) {
    std::fs::write(
        dir.join("platform.kdl"),
        format!(
            r#"platform "{platform}" {{}}
defaults {{ resources cpu="100m" memory="128Mi" cpu-limit="500m" memory-limit="256Mi" }}
service "{service}" {{
    image "registry.local/api:1.0.0"
    port http 8080
    health http="/ready" port=http
    env COMPONENT field="{field}"
}}
"#
        ),
    )
    .unwrap();
}

#[test]
fn a_platform_name_with_a_leading_digit_and_a_label_field_build() {
    let dir = tempfile::tempdir().unwrap();
    spec(
        dir.path(),
        "254carbon",
        "api",
        "metadata.labels['app.kubernetes.io/component']",
    );
    let o = maestroc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ns = std::fs::read_to_string(dir.path().join("output/k8s/base/00-namespace.yaml")).unwrap();
    assert!(ns.contains("name: 254carbon"), "{ns}");
    let api = std::fs::read_dir(dir.path().join("output/k8s/base"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("-api.yaml"))
        .unwrap();
    let text = std::fs::read_to_string(api.path()).unwrap();
    assert!(
        text.contains("fieldPath: metadata.labels['app.kubernetes.io/component']"),
        "{text}"
    );
}

#[test]
fn every_suggested_name_is_valid() {
    for (platform, service, bad) in [("Bad_Name", "api", "Bad_Name"), ("ok", "1api", "1api")] {
        let dir = tempfile::tempdir().unwrap();
        spec(dir.path(), platform, service, "metadata.name");
        let o = maestroc(dir.path(), &["check", "--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "MC009" && f["message"].as_str().unwrap().contains(bad))
            .unwrap_or_else(|| panic!("{r}"));
        let help = f["help"].as_str().unwrap();
        let suggested = help
            .split("(e.g. \"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap();
        // Build with the suggestion in place of the bad name: it must be accepted.
        let (p, s) = if bad == platform {
            (suggested, service)
        } else {
            (platform, suggested)
        };
        spec(dir.path(), p, s, "metadata.name");
        let o = maestroc(dir.path(), &["build"]);
        assert!(
            o.status.success(),
            "{suggested}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// MC403 says what the pod really gets: the fallback, nothing (a patch removes the resources),
/// or no warning at all when a patch sizes the container itself.
#[test]
fn missing_resources_says_what_a_patch_did() {
    let spec = |patch: &str| {
        format!(
            "platform \"p\"\nservice \"a\" {{\n    image \"x/a:1\"\n    port \"http\" 8080\n    health tcp=\"http\"\n    {patch}\n}}\n"
        )
    };
    let labels = |text: &str| -> Vec<String> {
        let (_, findings) = maestroc::resolve::compile(text);
        findings
            .iter()
            .filter(|f| f.code() == "MC403")
            .flat_map(|f| f.labels.iter().map(|l| l.text.clone()))
            .collect()
    };
    assert_eq!(
        labels(&spec("")),
        ["gets maestroc's fallback: 100m/128Mi, limits 500m/512Mi"]
    );
    assert_eq!(
        labels(&spec(
            "patch \"Deployment\" { spec { template { spec { containers { - { name \"a\"; resources #null; }; }; }; }; }; }"
        )),
        ["this patch removes them: the pod runs without requests or limits"]
    );
    assert!(labels(&spec(
        "patch \"Deployment\" { spec { template { spec { containers { - { name \"a\"; resources { limits { memory \"1Gi\"; }; }; }; }; }; }; }; }"
    ))
    .is_empty());
}
