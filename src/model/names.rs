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

/// RFC 1123 label, which Kubernetes requires of Namespace names, Helm of chart names, and
/// pods of volume names: as a DNS-1035 label, but a digit may come first (`254carbon`).
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
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

/// A ConfigMap or Secret key, as the API server checks it (`IsConfigMapKey`): 1–253 of
/// `[-._a-zA-Z0-9]`, and not `.`, `..` or anything starting with `..`. `access-key`,
/// `tls.crt`, `jwtRS256.key.pub` are keys; an env var name is a different thing.
pub fn is_config_map_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && !s.starts_with("..")
        && s != "."
}

/// An environment variable name as the API server checks it (`IsEnvVarName`, Kubernetes ≤ 1.33
/// without the relaxed-validation gate): `[-._a-zA-Z][-._a-zA-Z0-9]*`.
pub fn is_env_var_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || matches!(b[0], b'-' | b'_' | b'.'))
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// The name part of a qualified name, and a non-empty label value: at most 63 of
/// `[-A-Za-z0-9_.]`, beginning and ending with an alphanumeric.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// RFC 1123 subdomain (`IsDNS1123Subdomain`): at most 253 chars, dot-separated lowercase
/// labels of alphanumerics and `-`, each starting and ending with an alphanumeric.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && !b[0].is_ascii_uppercase()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && !b[b.len() - 1].is_ascii_uppercase()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// A label or annotation key (`IsQualifiedName`): `[prefix/]name`, the prefix a DNS-1123
/// subdomain, the name at most 63 chars of `[-A-Za-z0-9_.]` with alphanumeric ends.
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

/// A label value (`IsValidLabelValue`): empty, or a qualified name's name part.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
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

    /// Each check agrees with the regular expression the API server uses
    /// (k8s.io/apimachinery/pkg/util/validation), over every string of length 0–3 from an
    /// alphabet of the characters that matter, plus the length limits.
    #[test]
    fn agree_with_the_api_servers_regexes() {
        let anchored = |re: &str| regex::Regex::new(&format!("^(?:{re})$")).unwrap();
        let config_key = anchored(r"[-._a-zA-Z0-9]+");
        let env_name = anchored(r"[-._a-zA-Z][-._a-zA-Z0-9]*");
        let name_part = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
        let label_value = anchored(&format!("({name_part})?"));
        let dns1123_label = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?";
        let subdomain = anchored(&format!(r"{dns1123_label}(\.{dns1123_label})*"));
        let qualified = anchored(&format!(
            r"({dns1123_label}(\.{dns1123_label})*/)?{name_part}"
        ));
        let alphabet = ['a', 'Z', '0', '-', '_', '.', '/', ' ', '='];
        let mut words = vec![String::new()];
        for len in 1..=3 {
            let mut next = Vec::new();
            for w in words.iter().filter(|w| w.len() == len - 1) {
                for c in alphabet {
                    next.push(format!("{w}{c}"));
                }
            }
            words.extend(next);
        }
        for w in &words {
            let w = w.as_str();
            // IsConfigMapKey also refuses ".", ".." and a leading "..".
            let key_ok = config_key.is_match(w) && w != "." && !w.starts_with("..");
            assert_eq!(is_config_map_key(w), key_ok, "config map key {w:?}");
            assert_eq!(is_env_var_name(w), env_name.is_match(w), "env name {w:?}");
            assert_eq!(
                is_label_value(w),
                label_value.is_match(w),
                "label value {w:?}"
            );
            assert_eq!(
                is_dns1123_subdomain(w),
                subdomain.is_match(w),
                "subdomain {w:?}"
            );
            assert_eq!(
                is_qualified_name(w),
                qualified.is_match(w),
                "qualified {w:?}"
            );
        }
        assert!(is_config_map_key(&"k".repeat(253)));
        assert!(!is_config_map_key(&"k".repeat(254)));
        assert!(is_label_value(&"v".repeat(63)));
        assert!(!is_label_value(&"v".repeat(64)));
        for real in [
            "access-key",
            "backend-store-uri",
            "jwtRS256.key.pub",
            "tls.crt",
            ".env",
        ] {
            assert!(is_config_map_key(real), "{real}");
        }
        for real in ["app.kubernetes.io/name", "app", "example.com/team"] {
            assert!(is_qualified_name(real), "{real}");
        }
    }
}
