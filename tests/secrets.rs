//! `maestroc secrets`: a development cluster without a secret store gets its Secrets from a
//! local file, printed for `kubectl apply -f -` and valid for Kubernetes; no value ever lands
//! in `output/` or in a message.

mod common;
use common::maestroc;

use std::fs;
use std::process::Command;

const VALUES: &str = "\
# local only: never committed
mlflow-db.POSTGRES_USER=mlflow
mlflow-db.POSTGRES_PASSWORD=Hunter2-mlflow-db
airflow-db.POSTGRES_USER=airflow
airflow-db.POSTGRES_PASSWORD=Hunter2-airflow-db
minio-root.MINIO_ROOT_USER=minio
minio-root.MINIO_ROOT_PASSWORD=Hunter2-minio
grafana-admin.GF_SECURITY_ADMIN_PASSWORD=Hunter2-grafana
";

fn output_files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for e in common::files_under(&dir.join("output")) {
        v.push((e.clone(), fs::read_to_string(&e).unwrap_or_default()));
    }
    v.sort();
    v
}

#[test]
fn secrets_are_printed_valid_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("platform.kdl"),
        include_str!("../platform.kdl"),
    )
    .unwrap();
    fs::write(dir.path().join(".env.local"), VALUES).unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let before = output_files(dir.path());
    let o = maestroc(
        dir.path(),
        &["secrets", "--env", "minikube", "--from", ".env.local"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let yaml = String::from_utf8(o.stdout).unwrap();
    // Each used secret in each namespace that reads it, with its values.
    assert_eq!(yaml.matches("kind: Secret").count(), 4, "{yaml}");
    assert!(
        yaml.contains("POSTGRES_PASSWORD: Hunter2-airflow-db"),
        "{yaml}"
    );
    assert!(yaml.contains("namespace: airflow"));
    // Nothing under output/ changed, and no value is in it.
    let after = output_files(dir.path());
    assert_eq!(before, after);
    assert!(after.iter().all(|(_, text)| !text.contains("Hunter2")));
    // kubernetes-validate accepts what is printed.
    let file = dir.path().join("secrets.yaml");
    fs::write(&file, &yaml).unwrap();
    let v = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.33.0"])
        .arg(&file)
        .output()
        .expect("kubernetes-validate: run the tests with `bash scripts/test`");
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

#[test]
fn a_missing_or_unknown_value_is_refused_without_echoing_values() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("platform.kdl"),
        include_str!("../platform.kdl"),
    )
    .unwrap();
    let partial: String = VALUES
        .lines()
        .filter(|l| !l.starts_with("grafana"))
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(dir.path().join("partial.env"), &partial).unwrap();
    let o = maestroc(
        dir.path(),
        &["secrets", "--env", "minikube", "--from", "partial.env"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("grafana-admin.GF_SECURITY_ADMIN_PASSWORD"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    fs::write(
        dir.path().join("typo.env"),
        format!("{VALUES}mlflow-db.POSTGRES_PASWORD=Hunter2-typo\n"),
    )
    .unwrap();
    let o = maestroc(
        dir.path(),
        &["secrets", "--env", "minikube", "--from", "typo.env"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("mlflow-db.POSTGRES_PASWORD"), "{err}");
    assert!(!err.contains("Hunter2"), "{err}");
}

/// A secret reached only through a `patch` (a projected volume) is materialised like one the
/// spec mounts natively, and is no unused secret; its `label`s and `annotation`s are on it.
#[test]
fn a_secret_used_by_a_patch_is_materialised_with_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("platform.kdl"),
        r#"platform "p" { namespace "p" }
secret "web-tls" {
    key "tls.crt"
    label "helm.sh/chart" "web-1.0.0"
    annotation "helm.sh/hook" "pre-install"
}
service "web" {
    image "registry.example.com/web:1.0"
    port "http" 8080
    resources cpu="100m" memory="64Mi"
    patch "Deployment" {
        spec { template { spec {
            volumes { - name="certs" { projected { sources { - { secret name="web-tls" } } } } }
        } } }
    }
}
"#,
    )
    .unwrap();
    let o = maestroc(dir.path(), &["check", "--format", "json"]);
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(!report.contains("MC303"), "{report}");
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let secrets: String = output_files(dir.path())
        .into_iter()
        .filter(|(_, t)| t.contains("kind: Secret"))
        .map(|(_, t)| t)
        .collect();
    assert!(secrets.contains("name: web-tls"), "{secrets}");
    assert!(secrets.contains("helm.sh/chart: web-1.0.0"), "{secrets}");
    assert!(secrets.contains("helm.sh/hook: pre-install"), "{secrets}");
}

/// A Secret of the input with a PEM key (several lines) and a binary value: import writes the
/// key names into the spec, the PEM in the values file in its delimited form, and `secrets
/// --from` gives it back byte for byte; the binary value is declared, said, and left out.
#[test]
fn a_pem_key_in_an_imported_secret_comes_back_through_the_values_file() {
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nEOF\n-----END PRIVATE KEY-----\n";
    let b64 = |s: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let input = format!(
        r#"apiVersion: v1
kind: Secret
metadata:
  name: jwt-key
data:
  jwtRS256.key: {}
  keystore.p12: {}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
spec:
  selector:
    matchLabels: {{app: ledger}}
  template:
    metadata:
      labels: {{app: ledger}}
    spec:
      containers:
        - name: ledger
          image: registry.local/ledger:1.0.0
          ports:
            - containerPort: 8080
          volumeMounts:
            - name: keys
              mountPath: /keys
      volumes:
        - name: keys
          secret:
            secretName: jwt-key
"#,
        b64(pem.as_bytes()),
        b64(&[0xff, 0xfe, 0x00, 0x81])
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("in.yaml"), input).unwrap();
    let out = maestroc(dir.path(), &["import", "in.yaml"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("1 Secret value(s) in the input are binary"),
        "{said}"
    );
    let spec = fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(
        !spec.contains("PRIVATE KEY") && !spec.contains("MIIEvQ"),
        "{spec}"
    );
    let values = fs::read_to_string(dir.path().join("imported.secrets")).unwrap();
    // The value holds a line `EOF`: the delimiter is another.
    assert!(
        values.contains("jwt-key.jwtRS256.key<<EOF_1\n-----BEGIN PRIVATE KEY-----\n"),
        "{values}"
    );
    assert!(!values.contains("keystore.p12"), "{values}");
    let printed = maestroc(dir.path(), &["secrets", "--from", "imported.secrets"]);
    let text = String::from_utf8(printed.stdout.clone()).unwrap();
    // Only the binary key is missing, and it is named (never a value).
    assert!(
        String::from_utf8_lossy(&printed.stderr).contains("jwt-key.keystore.p12"),
        "{printed:?}"
    );
    assert!(text.is_empty() || !text.contains("keystore"), "{text}");
    // With the binary value supplied by hand, the Secret is printed, the PEM byte for byte.
    fs::write(
        dir.path().join("imported.secrets"),
        format!("{values}jwt-key.keystore.p12=by-hand\n"),
    )
    .unwrap();
    let printed = maestroc(dir.path(), &["secrets", "--from", "imported.secrets"]);
    assert!(printed.status.success(), "{printed:?}");
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&String::from_utf8(printed.stdout).unwrap()).unwrap();
    let secret = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "jwt-key")
        .unwrap();
    assert_eq!(secret["stringData"]["jwtRS256.key"], pem);
}
