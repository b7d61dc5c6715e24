//! The keys of the central `service-ports` ConfigMap, derived from the services.
//!
//! One port → `<SVC>_PORT`; several → `<SVC>_<PORTNAME>_PORT` each; `<SVC>_ADDRESS` from the
//! primary port. `_PORT` is the number the server listens on (what its own code binds);
//! `_ADDRESS` uses the Service port (what clients dial).

use miette::SourceSpan;

use super::{Platform, Service, config_key_stem};

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

/// The `<SVC>_…PORT` and `<SVC>_ADDRESS` keys of one service, in declaration order.
pub fn service_keys(platform: &Platform, svc: &Service) -> Vec<ConfigKey> {
    let prefix = key_prefix(svc);
    let mut keys = Vec::with_capacity(svc.ports.len() + 1);
    let single = svc.ports.len() == 1;
    for port in &svc.ports {
        let key = if single {
            format!("{prefix}_PORT")
        } else {
            format!("{prefix}_{}_PORT", config_key_stem(&port.name.value))
        };
        keys.push(ConfigKey {
            key,
            value: port.number.value.to_string(),
            span: port.number.span,
        });
    }
    if let Some(primary) = svc.primary_port() {
        let host = match &svc.external {
            Some(host) => host.value.clone(),
            None => format!(
                "{}.{}.svc.{}",
                svc.name.value,
                svc.namespace(platform),
                platform.cluster_domain.value
            ),
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
