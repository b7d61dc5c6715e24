//! The agent fleet of DESIGN.md: the `service-ports` ConfigMap data is pinned exactly.

use std::collections::BTreeMap;

use maestroc::emit::ports_data;
use maestroc::resolve::compile;
use maestroc::target::Target;

const FLEET: &str = include_str!("fixtures/fleet/platform.kdl");

#[test]
fn service_ports_of_the_agent_fleet() {
    let (compiled, findings) = compile(FLEET);
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let targets = Target::all(&compiled.platform);
    let data = ports_data(&targets[0]);
    let expected: BTreeMap<String, String> = [
        (
            "CONTEXT_ADDRESS",
            "context.swe-ai-fleet.svc.cluster.local:50051",
        ),
        ("CONTEXT_PORT", "50051"),
        (
            "MONITORING_ADDRESS",
            "http://monitoring-dashboard.swe-ai-fleet.svc.cluster.local:8080",
        ),
        ("MONITORING_PORT", "8080"),
        (
            "NATS_ADDRESS",
            "nats://nats.swe-ai-fleet.svc.cluster.local:4222",
        ),
        ("NATS_CLIENT_PORT", "4222"),
        ("NATS_MONITOR_PORT", "8222"),
        (
            "NEO4J_ADDRESS",
            "bolt://neo4j.swe-ai-fleet.svc.cluster.local:7687",
        ),
        ("NEO4J_BOLT_PORT", "7687"),
        ("NEO4J_HTTP_PORT", "7474"),
        (
            "ORCHESTRATOR_ADDRESS",
            "orchestrator.swe-ai-fleet.svc.cluster.local:50055",
        ),
        ("ORCHESTRATOR_PORT", "50055"),
        (
            "PLANNING_ADDRESS",
            "planning.swe-ai-fleet.svc.cluster.local:50053",
        ),
        ("PLANNING_PORT", "50053"),
        (
            "RAY_ADDRESS",
            "ray://ray-gpu-head-svc.ray.svc.cluster.local:10001",
        ),
        ("RAY_CLIENT_PORT", "10001"),
        ("RAY_DASHBOARD_PORT", "8265"),
        (
            "RAY_EXECUTOR_ADDRESS",
            "ray-executor.swe-ai-fleet.svc.cluster.local:50056",
        ),
        ("RAY_EXECUTOR_PORT", "50056"),
        (
            "VALKEY_ADDRESS",
            "redis://valkey.swe-ai-fleet.svc.cluster.local:6379",
        ),
        ("VALKEY_PORT", "6379"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(data, expected);
}

#[test]
fn fleet_environments_apply_replicas() {
    let (compiled, _) = compile(FLEET);
    let compiled = compiled.unwrap();
    let files = maestroc::emit::emit(&compiled).unwrap();
    let prod = &files["k8s/prod/12-orchestrator.yaml"];
    assert!(prod.contains("replicas: 3"), "{prod}");
    let dev = &files["k8s/dev/12-orchestrator.yaml"];
    assert!(dev.contains("replicas: 1"), "{dev}");
    // The orchestrator depends on nats: it receives NATS_ADDRESS from the ConfigMap, never
    // as a literal.
    assert!(dev.contains("- name: NATS_ADDRESS\n          valueFrom:\n            configMapKeyRef:\n              key: NATS_ADDRESS\n              name: service-ports"));
}
