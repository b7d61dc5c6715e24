//! The bundled platform's whole output, pinned per environment.

use maestroc::resolve::compile;

#[test]
fn bundled_platform_output() {
    let text = include_str!("../platform.kdl");
    let (compiled, findings) = compile(text);
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let files = maestroc::emit::emit(&compiled).unwrap();
    for env in ["minikube", "production"] {
        let prefix = format!("k8s/{env}/");
        let mut all = String::new();
        for (path, content) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
            all.push_str(&format!("=== {path}\n{content}"));
        }
        insta::assert_snapshot!(format!("bundled-{env}"), all);
    }
}

#[test]
fn operations_fixture_output() {
    let (compiled, findings) = compile(include_str!("fixtures/operations/platform.kdl"));
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let files = maestroc::emit::emit(&compiled).unwrap();
    for env in ["prod", "edge"] {
        let prefix = format!("k8s/{env}/");
        let mut all = String::new();
        for (path, content) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
            all.push_str(&format!("=== {path}\n{content}"));
        }
        insta::assert_snapshot!(format!("operations-{env}"), all);
    }
}
