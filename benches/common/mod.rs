//! The platform both benches generate: bench/gen_spec.py's shape, built in Rust so the benches
//! need no Python.

/// A platform of `n` services in chains of ten, two ports each, one secret, two environments.
pub fn spec(n: usize, warnings: bool) -> String {
    let mut s = String::from(
        "platform \"bench\" {\n    namespace \"bench\"\n    node-ports 30000 32767\n}\n",
    );
    if !warnings {
        s.push_str("defaults {\n    resources cpu=\"100m\" memory=\"128Mi\" cpu-limit=\"500m\" memory-limit=\"512Mi\"\n}\n");
    }
    s.push_str("secret \"db\" {\n    key PASSWORD\n    store \"vault\" path=\"bench/db\"\n}\n");
    for i in 0..n {
        s.push_str(&format!(
            "service \"svc-{i:05}\" {{\n    image \"registry.local/bench/svc:1.0.{i}\"\n    port http {}\n    port metrics {}\n    env DB_PASSWORD secret=\"db\" key=\"PASSWORD\"\n    health http=\"/healthz\" port=http\n",
            8000 + i % 1000,
            9000 + i % 1000
        ));
        if i % 10 != 0 {
            s.push_str(&format!("    depends-on svc-{:05}\n", i - 1));
        }
        s.push_str("}\n");
    }
    s.push_str("environment \"dev\" {\n    storage-class \"standard\"\n}\nenvironment \"prod\" {\n    storage-class \"gp3\"\n}\n");
    s
}
