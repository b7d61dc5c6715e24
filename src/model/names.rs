//! Naming rules Kubernetes imposes, and the ConfigMap key stems maestroc derives from names.

/// RFC 1035 label as Kubernetes checks it for Service and Namespace names: at most 63 chars,
/// lowercase alphanumerics or `-`, starting with a letter and ending with an alphanumeric.
pub fn is_dns1035_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// IANA service name, which Kubernetes requires of container and Service port names: at most
/// 15 chars, lowercase alphanumerics or `-`, at least one letter, no leading, trailing or
/// doubled `-`.
pub fn is_iana_port_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(|c| c.is_ascii_lowercase())
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// `orchestrator` → `ORCHESTRATOR`, `ray-executor` → `RAY_EXECUTOR`.
pub fn config_key_stem(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1035() {
        assert!(is_dns1035_label("ray-executor"));
        assert!(is_dns1035_label("neo4j"));
        assert!(!is_dns1035_label("4neo"));
        assert!(!is_dns1035_label("Neo4j"));
        assert!(!is_dns1035_label("neo4j-"));
        assert!(!is_dns1035_label("a_b"));
        assert!(!is_dns1035_label(""));
        assert!(!is_dns1035_label(&"a".repeat(64)));
        assert!(is_dns1035_label(&"a".repeat(63)));
    }

    #[test]
    fn iana() {
        assert!(is_iana_port_name("grpc"));
        assert!(is_iana_port_name("http-metrics"));
        assert!(!is_iana_port_name("1234"));
        assert!(!is_iana_port_name("a--b"));
        assert!(!is_iana_port_name("very-long-port-name"));
    }

    #[test]
    fn stems() {
        assert_eq!(config_key_stem("ray-executor"), "RAY_EXECUTOR");
    }
}
