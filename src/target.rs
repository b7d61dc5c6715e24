//! A deployment target: the platform with one environment's overlay applied (or `base` when
//! no environment is declared). Emitters read services only through this view, so an overlay
//! can never be forgotten by one emitter and honoured by another.

use crate::model::{EnvVar, Environment, Platform, Resources, Service, ServiceOverride, Spanned};

/// cpu, memory, cpu-limit, memory-limit for a container when neither the service nor
/// `defaults` says: small enough to schedule anywhere, bounded so a leak cannot starve a node.
pub const FALLBACK_RESOURCES: [&str; 4] = ["100m", "128Mi", "500m", "512Mi"];

#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub platform: &'a Platform,
    pub env: Option<&'a Environment>,
}

impl<'a> Target<'a> {
    /// One target per environment, or a single `base` target.
    pub fn all(platform: &'a Platform) -> Vec<Target<'a>> {
        if platform.environments.is_empty() {
            vec![Target {
                platform,
                env: None,
            }]
        } else {
            platform
                .environments
                .iter()
                .map(|env| Target {
                    platform,
                    env: Some(env),
                })
                .collect()
        }
    }

    pub fn name(&self) -> &'a str {
        self.env.map_or("base", |e| e.name.value.as_str())
    }

    fn overlay(&self, svc: &Service) -> Option<&'a ServiceOverride> {
        self.env?
            .services
            .iter()
            .find(|o| o.name.value == svc.name.value)
    }

    /// The NodePort of a port here: the environment's `node-port` override, else the spec's.
    pub fn node_port(&self, svc: &Service, port: &crate::model::Port) -> Option<u16> {
        self.overlay(svc)
            .and_then(|o| {
                o.node_ports
                    .iter()
                    .find(|(name, _)| name.value == port.name.value)
            })
            .map(|(_, n)| n.value)
            .or(port.node_port.as_ref().map(|n| n.value))
    }

    pub fn enabled(&self, svc: &Service) -> bool {
        self.overlay(svc)
            .and_then(|o| o.enabled.as_ref())
            .is_none_or(|e| e.value)
    }

    /// Deployed here: enabled and not external.
    pub fn runs(&self, svc: &Service) -> bool {
        !svc.is_external() && self.enabled(svc)
    }

    pub fn replicas(&self, svc: &Service) -> u32 {
        self.overlay(svc)
            .and_then(|o| o.replicas.as_ref())
            .or(svc.replicas.as_ref())
            .map_or(1, |r| r.value)
    }

    pub fn image(&self, svc: &'a Service) -> Option<&'a str> {
        self.overlay(svc)
            .and_then(|o| o.image.as_ref())
            .or(svc.image.as_ref())
            .map(|i| i.value.as_str())
    }

    /// Requests and limits, field by field: the environment's override, the service's, the
    /// platform `defaults`, else [`FALLBACK_RESOURCES`] — so every container has all four.
    pub fn resources(&self, svc: &'a Service) -> Resources {
        let layers: Vec<&Resources> = [
            self.overlay(svc).and_then(|o| o.resources.as_ref()),
            svc.resources.as_ref(),
            self.platform.defaults.resources.as_ref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let pick = |field: fn(&Resources) -> &Option<Spanned<String>>, fallback: &str| {
            layers
                .iter()
                .find_map(|r| field(r).clone())
                .unwrap_or_else(|| Spanned::new(fallback.to_string(), svc.name.span))
        };
        let [cpu, memory, cpu_limit, memory_limit] = FALLBACK_RESOURCES;
        Resources {
            cpu: Some(pick(|r| &r.cpu, cpu)),
            memory: Some(pick(|r| &r.memory, memory)),
            cpu_limit: Some(pick(|r| &r.cpu_limit, cpu_limit)),
            memory_limit: Some(pick(|r| &r.memory_limit, memory_limit)),
            span: None,
        }
    }

    /// The service's env vars with the environment's additions and overrides applied, in
    /// declaration order (overrides keep the original position).
    pub fn env(&self, svc: &'a Service) -> Vec<&'a EnvVar> {
        let extra: &[EnvVar] = self.overlay(svc).map_or(&[], |o| o.env.as_slice());
        let mut vars: Vec<&EnvVar> = svc
            .env
            .iter()
            .map(|v| {
                extra
                    .iter()
                    .find(|e| e.name.value == v.name.value)
                    .unwrap_or(v)
            })
            .collect();
        vars.extend(
            extra
                .iter()
                .filter(|e| svc.env.iter().all(|v| v.name.value != e.name.value)),
        );
        vars
    }

    /// Whether the service, as deployed here, reads `secret` (from env or as files).
    pub fn uses_secret(&self, svc: &'a Service, secret: &str) -> bool {
        self.env(svc).iter().any(
            |v| matches!(&v.value, crate::model::EnvValue::Secret { secret: s, .. } if s.value == secret),
        ) || svc.mounts_secret(secret)
    }

    pub fn storage_class(&self) -> Option<&'a str> {
        self.env
            .and_then(|e| e.storage_class.as_ref())
            .map(|s| s.value.as_str())
    }

    pub fn pull_policy(&self) -> Option<&'a str> {
        self.env
            .and_then(|e| e.image_pull_policy.as_ref())
            .map(|s| s.value.as_str())
    }

    /// False when the environment says its cluster has no External Secrets operator.
    pub fn external_secrets(&self) -> bool {
        self.env
            .and_then(|e| e.external_secrets.as_ref())
            .is_none_or(|b| b.value)
    }

    /// `service-defaults` values with the environment's `value` overrides applied.
    pub fn default_values(&self) -> Vec<(&'a str, &'a str)> {
        let mut values: Vec<(&str, &str)> = self
            .platform
            .defaults
            .values
            .iter()
            .map(|(k, v)| (k.value.as_str(), v.value.as_str()))
            .collect();
        for (k, v) in self.env.map_or(&[][..], |e| e.values.as_slice()) {
            match values.iter_mut().find(|(key, _)| *key == k.value) {
                Some(slot) => slot.1 = v.value.as_str(),
                None => values.push((k.value.as_str(), v.value.as_str())),
            }
        }
        values
    }
}
