//! The keys of the central `service-ports` ConfigMap, derived from the services.
//!
//! One port → `<SVC>_PORT`; several → `<SVC>_<PORTNAME>_PORT` each; `<SVC>_ADDRESS` from the
//! primary port. `_PORT` is the number the server listens on (what its own code binds);
//! `_ADDRESS` uses the Service port (what clients dial).

use miette::SourceSpan;

use super::{AddressForm, Platform, Service, config_key_stem};

/// One `service-ports` entry and the spec text it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigKey {
    pub key: String,
    pub value: String,
    /// Where the value comes from (the port, or the `external host=`).
    pub span: SourceSpan,
}

/// The prefix of a service's keys: `config-prefix`, else its name upper-cased.
pub fn key_prefix(svc: &Service) -> String {
    svc.config_prefix
        .as_ref()
        .map_or_else(|| config_key_stem(&svc.name.value), |p| p.value.clone())
}

/// The `service-ports` key of a port: `<PREFIX>_PORT` when it is the service's only port,
/// else `<PREFIX>_<PORTNAME>_PORT`.
pub fn port_key(prefix: &str, port_name: &str, single: bool) -> String {
    if single {
        format!("{prefix}_PORT")
    } else {
        format!("{prefix}_{}_PORT", config_key_stem(port_name))
    }
}

/// The `<SVC>_…PORT` and `<SVC>_ADDRESS` keys of one service, in declaration order.
pub fn service_keys(platform: &Platform, svc: &Service) -> Vec<ConfigKey> {
    let prefix = key_prefix(svc);
    let mut keys = Vec::with_capacity(svc.ports.len() + 1);
    let single = svc.ports.len() == 1;
    for port in &svc.ports {
        let key = port_key(&prefix, &port.name.value, single);
        keys.push(ConfigKey {
            key,
            value: port.number.value.to_string(),
            span: port.number.span,
        });
    }
    if let Some(primary) = svc.primary_port() {
        let host = match &svc.external {
            Some(host) => host.value.clone(),
            None => match platform.address_form() {
                AddressForm::Fqdn => format!(
                    "{}.{}.svc.{}",
                    svc.name.value,
                    svc.namespace(platform),
                    platform.cluster_domain.value
                ),
                AddressForm::Namespaced => {
                    format!("{}.{}", svc.name.value, svc.namespace(platform))
                }
                AddressForm::Short => svc.name.value.clone(),
            },
        };
        let port = if svc.is_external() {
            primary.number.value
        } else {
            primary.exposed()
        };
        let scheme = primary
            .scheme
            .as_ref()
            .map_or(String::new(), |s| format!("{}://", s.value));
        keys.push(ConfigKey {
            key: format!("{prefix}_ADDRESS"),
            value: format!("{scheme}{host}:{port}"),
            span: primary.span,
        });
    }
    keys
}

/// The `{KEY}` placeholders of an env value: `[A-Z_][A-Z0-9_]*` between braces, each with its
/// byte offset in the value. Anything else in braces (a JSON document) is left alone.
pub fn placeholders(value: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut rest = value;
    let mut base = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inner = &after[..close];
        let is_key = inner
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == b'_')
            && inner
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
        if is_key {
            found.push((base + open + 1, inner));
            base += open + close + 2;
            rest = &after[close + 1..];
        } else {
            base += open + 1;
            rest = after;
        }
    }
    found
}

/// The value with each `{KEY}` placeholder turned into Kubernetes' dependent-variable syntax
/// `$(KEY)`, which the kubelet expands from an env var declared earlier in the container.
pub fn expand_placeholders(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut last = 0;
    for (at, key) in placeholders(value) {
        out.push_str(&value[last..at - 1]);
        out.push_str("$(");
        out.push_str(key);
        out.push(')');
        last = at + key.len() + 1;
    }
    out.push_str(&value[last..]);
    out
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn placeholders_become_dependent_variables() {
        let v = "jdbc:postgresql://{LEDGER_DB_ADDRESS}/postgresdb";
        assert_eq!(placeholders(v), vec![(19, "LEDGER_DB_ADDRESS")]);
        assert_eq!(
            expand_placeholders(v),
            "jdbc:postgresql://$(LEDGER_DB_ADDRESS)/postgresdb"
        );
        assert_eq!(expand_placeholders("{\"a\": {B}}"), "{\"a\": $(B)}");
        assert_eq!(expand_placeholders("{lower} {} {"), "{lower} {} {");
        assert_eq!(expand_placeholders("{A}{B}"), "$(A)$(B)");
    }
}
