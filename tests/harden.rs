//! `maestroc harden`: what maestroc would tighten, service by service — each Pod Security
//! control a final pod fails below `restricted`, at the spec line that sets it (the `allow`,
//! the patch node). And `import` points at it when what it adopted falls short.

mod common;
use common::maestroc;

const SPEC: &str = r#"platform "shop" {
    namespace "shop"
}
service "db" {
    image "postgres:16.4"
    port pg 5432
    health tcp=pg
    allow "root" reason="initialises its data dir as root"
}
service "api" {
    image "registry.local/api:1.0.0"
    port http 8080
    health http="/" port=http
    patch "Deployment" {
        spec {
            template {
                spec {
                    containers {
                        - {
                            name "api"
                            securityContext {
                                capabilities {
                                    add {
                                        - "SYS_TIME"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
service "web" {
    image "registry.local/web:1.0.0"
    port http 8080
    health http="/" port=http
}
"#;

#[test]
fn each_control_below_restricted_is_shown_at_the_line_that_sets_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), SPEC).unwrap();
    let out = maestroc(dir.path(), &["harden"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    // `allow "root"` is line 8; the capability the patch adds is on line 24.
    assert!(
        text.contains("db: meets `baseline`")
            && text.contains("\"Running as Non-root\"")
            && text.contains("platform.kdl:8:"),
        "{text}"
    );
    assert!(
        text.contains("api: meets `privileged`")
            && text.contains("capabilities.add[SYS_TIME]")
            && text.contains("platform.kdl:24:41")
            && text.contains("this patch sets it"),
        "{text}"
    );
    // A service maestroc built alone meets restricted: not listed.
    assert!(!text.contains("web:"), "{text}");
    assert!(
        text.contains("2 of 3 services fall short of Pod Security `restricted`"),
        "{text}"
    );
    // A report writes nothing.
    assert!(!dir.path().join("output").exists());
}

#[test]
fn import_says_how_many_services_fall_short_as_imported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.yaml"),
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: clock
spec:
  selector:
    matchLabels: {app: clock}
  template:
    metadata:
      labels: {app: clock}
    spec:
      containers:
        - name: clock
          image: registry.local/clock:1.0.0
          ports:
            - containerPort: 8080
          securityContext:
            capabilities:
              add: [SYS_TIME]
---
apiVersion: v1
kind: Service
metadata:
  name: clock
spec:
  selector: {app: clock}
  ports:
    - port: 8080
"#,
    )
    .unwrap();
    let out = maestroc(dir.path(), &["import", "in.yaml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1 service(s) fall short of Pod Security `restricted` as imported (kept as they run): `maestroc harden --spec platform.kdl`"),
        "{text}"
    );
    let report = maestroc(dir.path(), &["harden"]);
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(
        report.contains("clock: meets `privileged`") && report.contains("SYS_TIME"),
        "{report}"
    );
}
