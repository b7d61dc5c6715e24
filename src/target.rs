//! A deployment target: the platform with one environment's overlay applied (or `base` when
//! no environment is declared). Emitters read services only through this view, so an overlay
//! can never be forgotten by one emitter and honoured by another.

use crate::model::{
    Autoscale, EnvVar, Environment, Exposure, IngressRoute, Platform, Port, Resources, Service,
    ServiceOverride, ServiceType, Spanned,
};

/// cpu, memory, cpu-limit, memory-limit for a container when neither the service nor
/// `defaults` says: small enough to schedule anywhere, bounded so a leak cannot starve a node.
pub const FALLBACK_RESOURCES: [&str; 4] = ["100m", "128Mi", "500m", "512Mi"];

/// cpu, memory, cpu limit and memory limit: each as given, else the fallback — but never a
/// request above its limit, which the API server refuses: a limit given alone below the
/// fallback request is also the request (as the API server would default it); a request given
/// alone above the fallback limit is also the limit. (`import` writes a limit given alone as
/// the request too, so adopting keeps what the scheduler reserves.)
pub fn with_fallbacks(given: &Resources, span: miette::SourceSpan) -> [Spanned<String>; 4] {
    let [cpu, memory, cpu_limit, memory_limit] = FALLBACK_RESOURCES;
    let above = crate::spec::quantity::exceeds;
    let fb = |v: &str| Spanned::new(v.to_string(), span);
    let pair = |request: &Option<Spanned<String>>,
                limit: &Option<Spanned<String>>,
                fallback: (&str, &str)| {
        match (request.clone(), limit.clone()) {
            (Some(r), Some(l)) => (r, l),
            (None, Some(l)) if above(fallback.0, &l.value) => (l.clone(), l),
            (None, Some(l)) => (fb(fallback.0), l),
            (Some(r), None) if above(&r.value, fallback.1) => (r.clone(), r),
            (Some(r), None) => (r, fb(fallback.1)),
            (None, None) => (fb(fallback.0), fb(fallback.1)),
        }
    };
    let (c, cl) = pair(&given.cpu, &given.cpu_limit, (cpu, cpu_limit));
    let (m, ml) = pair(&given.memory, &given.memory_limit, (memory, memory_limit));
    [c, m, cl, ml]
}

/// `given` with every request and limit filled in by [`with_fallbacks`]; ephemeral storage
/// stays as given (no fallback: unbounded scratch is Kubernetes' default, and a guess could
/// evict).
pub fn resources_with_fallbacks(given: &Resources, span: miette::SourceSpan) -> Resources {
    let [cpu, memory, cpu_limit, memory_limit] = with_fallbacks(given, span);
    Resources {
        cpu: Some(cpu),
        memory: Some(memory),
        cpu_limit: Some(cpu_limit),
        memory_limit: Some(memory_limit),
        ephemeral_storage: given.ephemeral_storage.clone(),
        ephemeral_storage_limit: given.ephemeral_storage_limit.clone(),
        span: None,
    }
}

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

    /// How published ports are reached here: the environment's `exposure`, else NodePorts.
    pub fn exposure(&self) -> Exposure {
        self.env
            .and_then(|e| e.exposure.as_ref())
            .map_or(Exposure::NodePort, |x| x.mode.value)
    }

    /// The NodePort a port is published on here: only where exposure is "nodeport" (an
    /// Ingress or a load balancer publishes it otherwise).
    pub fn published_node_port(&self, svc: &Service, port: &Port) -> Option<u16> {
        (self.exposure() == Exposure::NodePort)
            .then(|| self.node_port(svc, port))
            .flatten()
    }

    /// Whether a port is reachable from outside the cluster here through the exposure mode:
    /// a NodePort, an Ingress route, or a load balancer for either.
    pub fn publishes(&self, svc: &Service, port: &Port) -> bool {
        let routed = svc
            .ops
            .ingress
            .iter()
            .any(|r| r.port.value == port.name.value);
        match self.exposure() {
            Exposure::NodePort => self.node_port(svc, port).is_some(),
            Exposure::Ingress => routed,
            Exposure::LoadBalancer => routed || self.node_port(svc, port).is_some(),
        }
    }

    /// The Ingress routes emitted here: a service's `ingress` lines where exposure is
    /// "ingress", none elsewhere.
    pub fn routes(&self, svc: &'a Service) -> &'a [IngressRoute] {
        if self.exposure() == Exposure::Ingress {
            &svc.ops.ingress
        } else {
            &[]
        }
    }

    /// The host of a route here: its `host=`, else `<service>.<ingress-domain>`.
    pub fn route_host(&self, svc: &Service, route: &IngressRoute) -> Option<String> {
        route.host.as_ref().map(|h| h.value.clone()).or_else(|| {
            self.env
                .and_then(|e| e.ingress_domain.as_ref())
                .map(|d| format!("{}.{}", svc.name.value, d.value))
        })
    }

    /// A route's IngressClass: its own, else the environment's `exposure … class=`.
    pub fn route_class(&self, route: &'a IngressRoute) -> Option<&'a str> {
        route
            .class
            .as_ref()
            .or(self
                .env
                .and_then(|e| e.exposure.as_ref())
                .and_then(|x| x.class.as_ref()))
            .map(|c| c.value.as_str())
    }

    /// A route's TLS certificate Secret: its own, else the environment's.
    pub fn route_tls_secret(&self, route: &'a IngressRoute) -> Option<&'a str> {
        route
            .tls_secret
            .as_ref()
            .or(self
                .env
                .and_then(|e| e.exposure.as_ref())
                .and_then(|x| x.tls_secret.as_ref()))
            .map(|c| c.value.as_str())
    }

    /// The Service type here: the service's `service-type`, else NodePort or LoadBalancer
    /// when the exposure publishes one of its ports, else ClusterIP.
    pub fn service_type(&self, svc: &Service) -> ServiceType {
        if let Some(kind) = svc.service_type.as_ref().map(|s| s.value) {
            return kind;
        }
        let published = svc.ports.iter().any(|port| self.publishes(svc, port));
        match self.exposure() {
            Exposure::NodePort if published => ServiceType::NodePort,
            Exposure::LoadBalancer if published => ServiceType::LoadBalancer,
            _ => ServiceType::ClusterIp,
        }
    }

    /// The ports reachable from outside the cluster through a node or a load balancer and not
    /// narrowed by an `expose` line: published here, or on a LoadBalancer Service. (Routed
    /// ports are reached through the ingress controller instead.)
    pub fn open_to_outside<'s>(&self, svc: &'s Service) -> Vec<&'s Port> {
        let load_balancer = self.service_type(svc) == ServiceType::LoadBalancer;
        let narrowed = |port: &Port| {
            svc.expose
                .iter()
                .any(|e| e.ports.iter().any(|n| n.value == port.name.value))
        };
        svc.ports
            .iter()
            .filter(|port| {
                let published = match self.exposure() {
                    Exposure::Ingress => false,
                    _ => load_balancer || self.publishes(svc, port),
                };
                published && !narrowed(port)
            })
            .collect()
    }

    /// The nodes' networks here: the environment's `node-cidr`, else the platform's. Published
    /// ports admit exactly these (an empty list: anyone, with MC410).
    pub fn node_cidrs(&self) -> &'a [Spanned<String>] {
        match self.env {
            Some(e) if !e.node_cidrs.is_empty() => &e.node_cidrs,
            _ => &self.platform.node_cidrs,
        }
    }

    /// The namespace of the ingress controller, admitted to routed ports.
    pub fn ingress_controller_namespace(&self) -> &'a str {
        self.env
            .and_then(|e| e.exposure.as_ref())
            .and_then(|x| x.controller_namespace.as_ref())
            .map_or(
                crate::model::ExposureSettings::DEFAULT_CONTROLLER_NAMESPACE,
                |n| n.value.as_str(),
            )
    }

    /// The autoscaling bounds here: the environment's, else the service's; only for
    /// workloads with replicas.
    pub fn autoscale(&self, svc: &'a Service) -> Option<&'a Autoscale> {
        if !svc.workload.value.has_replicas() {
            return None;
        }
        self.overlay(svc)
            .and_then(|o| o.autoscale.as_ref())
            .or(svc.ops.autoscale.as_ref())
    }

    /// Whether more than one pod may run: a fixed count above one, or an autoscaler whose
    /// ceiling is.
    pub fn may_run_several(&self, svc: &'a Service) -> bool {
        svc.workload.value.has_replicas()
            && match self.autoscale(svc) {
                Some(a) => a.max.value > 1,
                None => self.replicas(svc) > 1,
            }
    }

    /// The service's patches, then this environment's for it (applied in that order).
    pub fn patches(&self, svc: &'a Service) -> Vec<&'a crate::model::Patch> {
        svc.patches
            .iter()
            .chain(self.overlay(svc).map_or(&[][..], |o| o.patches.as_slice()))
            .collect()
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
        let given = |field: fn(&Resources) -> &Option<Spanned<String>>| {
            layers.iter().find_map(|r| field(r).clone())
        };
        let given = Resources {
            cpu: given(|r| &r.cpu),
            memory: given(|r| &r.memory),
            cpu_limit: given(|r| &r.cpu_limit),
            memory_limit: given(|r| &r.memory_limit),
            ephemeral_storage: given(|r| &r.ephemeral_storage),
            ephemeral_storage_limit: given(|r| &r.ephemeral_storage_limit),
            span: None,
        };
        resources_with_fallbacks(&given, svc.name.span)
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
            || self.patches(svc).iter().any(|p| p.names_secret(secret))
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
