//! `maestroc graph`, `maestroc ports` and the generated docs, run through the built binary;
//! DOT judged by the real Graphviz, JSON by its schema, Mermaid parsed back into the graph.

mod common;
use common::maestroc;

use std::collections::BTreeSet;
use std::fs;
use std::process::{Command, Output};

const BUNDLED: &str = include_str!("../platform.kdl");
const FLEET: &str = include_str!("fixtures/fleet/platform.kdl");

fn project(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("platform.kdl"), spec).unwrap();
    dir
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

type Edges = BTreeSet<(String, String)>;

fn json_edges(json: &serde_json::Value) -> Edges {
    json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Parses the node and edge lines of our Mermaid flowchart back into names and edges.
fn mermaid_graph(text: &str) -> (BTreeSet<String>, Edges) {
    let mut nodes = BTreeSet::new();
    let mut edges = Edges::new();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    for line in lines {
        let line = line.trim();
        if let Some((a, b)) = line.split_once(" --> ") {
            edges.insert((a.replace('_', "-"), b.replace('_', "-")));
        } else if line.starts_with("subgraph ") || line == "end" {
        } else if let Some((id, label)) = line.split_once("[\"") {
            let name = label.trim_end_matches("\"]").split("<br/>").next().unwrap();
            assert_eq!(
                id.replace('_', "-"),
                name,
                "node id must map back to its name"
            );
            nodes.insert(name.to_string());
        } else {
            panic!("unexpected Mermaid line: {line}");
        }
    }
    (nodes, edges)
}

#[test]
fn mermaid_and_json_describe_the_same_graph() {
    for spec in [BUNDLED, FLEET] {
        let dir = project(spec);
        let json: serde_json::Value = serde_json::from_str(&stdout(&maestroc(
            dir.path(),
            &["graph", "--format", "json"],
        )))
        .unwrap();
        let (nodes, edges) = mermaid_graph(&stdout(&maestroc(dir.path(), &["graph"])));
        let names: BTreeSet<String> = json["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(nodes, names);
        assert_eq!(edges, json_edges(&json));
        assert!(!edges.is_empty());
    }
    // The fleet's known edge, spelled out.
    let dir = project(FLEET);
    let json: serde_json::Value = serde_json::from_str(&stdout(&maestroc(
        dir.path(),
        &["graph", "--format", "json"],
    )))
    .unwrap();
    assert!(json_edges(&json).contains(&("orchestrator".into(), "ray-executor".into())));
}

#[test]
fn graph_env_hides_disabled_services() {
    let spec = BUNDLED.replace(
        "    external-secrets #false\n",
        "    external-secrets #false\n    service \"airflow-flower\" enabled=#false\n",
    );
    let dir = project(&spec);
    let all = stdout(&maestroc(dir.path(), &["graph"]));
    let mini = stdout(&maestroc(dir.path(), &["graph", "--env", "minikube"]));
    assert!(all.contains("airflow_flower"));
    assert!(!mini.contains("airflow_flower"));
    assert_eq!(
        maestroc(dir.path(), &["graph", "--env", "nope"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn dot_renders_with_graphviz() {
    for spec in [BUNDLED, FLEET] {
        let dir = project(spec);
        let dot = stdout(&maestroc(dir.path(), &["graph", "--format", "dot"]));
        let path = dir.path().join("g.dot");
        fs::write(&path, dot).unwrap();
        let out = Command::new("dot")
            .args(["-Tsvg"])
            .arg(&path)
            .output()
            .expect("Graphviz `dot` not found: run the tests with `bash scripts/test`");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        assert!(svg.contains("<svg") && (svg.contains("postgres") || svg.contains("orchestrator")));
    }
}

#[test]
fn graph_json_matches_its_schema() {
    let dir = project(FLEET);
    let json = stdout(&maestroc(dir.path(), &["graph", "--format", "json"]));
    let path = dir.path().join("g.json");
    fs::write(&path, json).unwrap();
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/graph.schema.json");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)",
            schema,
        ])
        .arg(&path)
        .output()
        .expect("python3 with jsonschema: run the tests with `bash scripts/test`");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn docs_are_generated_and_pinned() {
    let (compiled, _) = maestroc::resolve::compile(BUNDLED);
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let ports = &files["docs/PORTS.md"];
    for (np, svc) in [
        (30500, "mlflow"),
        (30501, "feast"),
        (30502, "airflow-webserver"),
        (30503, "prometheus"),
        (30504, "grafana"),
        (30505, "minio"),
        (30506, "registry"),
        (30507, "registry-ui"),
        (30508, "loki"),
    ] {
        assert!(ports.contains(&format!("| {np} | {svc} |")), "{np} {svc}");
    }
    assert!(ports.contains("Registry 30500–30599: 9 used, 91 free."));
    insta::assert_snapshot!("PORTS.md", ports);
    insta::assert_snapshot!("ARCHITECTURE.md", &files["docs/ARCHITECTURE.md"]);
}

const COMMENTED: &str = r#"// The shop. Comments, blank lines and odd spacing must survive an allocation.
platform "shop" {
    namespace "shop"
    node-ports 30500 30502   // three ports only
}

defaults { resources cpu="100m" memory="128Mi" }

/* the front door */
service "web" {
    image "shop/web:1.2.0"
    port   http 8080   scheme="http"    // keep this alignment
    port admin 9000
    health http="/" port=http
}

service "api" {
    image "shop/api:1.2.0"
    port http 8000 node-port=30500
    health http="/healthz" port=http
}
"#;

#[test]
fn ports_allocate_adds_exactly_one_property() {
    let dir = project(COMMENTED);
    let spec = dir.path().join("platform.kdl");
    let o = maestroc(dir.path(), &["ports", "allocate", "web", "http"]);
    assert!(stdout(&o).contains("web/http gets node-port=30501"));
    let after = fs::read_to_string(&spec).unwrap();
    let expected = COMMENTED.replace(
        "port   http 8080   scheme=\"http\"    // keep",
        "port   http 8080   scheme=\"http\" node-port=30501    // keep",
    );
    assert_eq!(after, expected);

    // The next call picks the next free port.
    stdout(&maestroc(
        dir.path(),
        &["ports", "allocate", "web", "admin"],
    ));
    assert!(
        fs::read_to_string(&spec)
            .unwrap()
            .contains("port admin 9000 node-port=30502")
    );

    // The registry is full now: exit 1, the file unchanged.
    let before = fs::read_to_string(&spec).unwrap();
    let extra = before.replace("service \"api\" {", "service \"worker\" {\n    image \"shop/worker:1.2.0\"\n    port http 8080\n    health http=\"/\" port=http\n}\n\nservice \"api\" {");
    fs::write(&spec, &extra).unwrap();
    let o = maestroc(dir.path(), &["ports", "allocate", "worker", "http"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("30500–30502 is full"));
    assert_eq!(fs::read_to_string(&spec).unwrap(), extra);

    // An allocated port cannot be allocated again; an unknown port gets a suggestion.
    assert_eq!(
        maestroc(dir.path(), &["ports", "allocate", "web", "http"])
            .status
            .code(),
        Some(2)
    );
    let o = maestroc(dir.path(), &["ports", "allocate", "web", "htp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `http`?"));
}

#[test]
fn ports_prints_an_aligned_table() {
    let dir = project(BUNDLED);
    let text = stdout(&maestroc(dir.path(), &["ports"]));
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("SERVICE"));
    let col = header.find("NODEPORT").unwrap();
    let mlflow = text.lines().find(|l| l.starts_with("mlflow ")).unwrap();
    assert_eq!(&mlflow[col..col + 5], "30500");
    assert!(text.contains("NodePort registry 30500–30599: 9 used, 91 free"));
}
