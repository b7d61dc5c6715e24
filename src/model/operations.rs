//! How a service is reached from outside and run in production: HTTP routes (`ingress`),
//! Prometheus scraping (`metrics`), autoscaling, and each environment's `exposure`.

use miette::SourceSpan;

use super::Spanned;

/// `ingress port=http [host="…"] [path="/"] [class="nginx"] [tls-secret="…"]`: the port is
/// served over HTTP(S) under a host name in every environment whose `exposure` is "ingress".
#[derive(Debug, Clone)]
pub struct IngressRoute {
    pub port: Spanned<String>,
    /// None: derived as `<service>.<ingress-domain>` in each environment.
    pub host: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub class: Option<Spanned<String>>,
    pub tls_secret: Option<Spanned<String>>,
    pub span: SourceSpan,
}

impl IngressRoute {
    pub fn path(&self) -> &str {
        self.path.as_ref().map_or("/", |p| p.value.as_str())
    }
}

/// `metrics port=http [path="/metrics"] [interval="30s"]`: where Prometheus scrapes.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub port: Spanned<String>,
    pub path: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub span: SourceSpan,
}

impl Metrics {
    pub fn path(&self) -> &str {
        self.path.as_ref().map_or("/metrics", |p| p.value.as_str())
    }
}

/// `autoscale min=3 max=20 [cpu=70] [memory=80]`: a HorizontalPodAutoscaler owns the replica
/// count (percentages of the requests); without `cpu=` or `memory=` it scales on cpu at 80%.
#[derive(Debug, Clone)]
pub struct Autoscale {
    pub min: Spanned<u32>,
    pub max: Spanned<u32>,
    pub cpu: Option<Spanned<u32>>,
    pub memory: Option<Spanned<u32>>,
    pub span: SourceSpan,
}

impl Autoscale {
    /// Kubernetes' own default target when an HPA names no metric.
    pub const DEFAULT_CPU: u32 = 80;
}

/// A service's operational nodes, grouped so the service model stays readable.
#[derive(Debug, Clone, Default)]
pub struct Operations {
    pub ingress: Vec<IngressRoute>,
    pub metrics: Option<Metrics>,
    pub autoscale: Option<Autoscale>,
}

/// `exposure "nodeport" | "ingress" | "loadbalancer"` in an environment: how the ports the
/// spec publishes (those with `node-port=` or an `ingress` route) are reached there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// NodePort Services with the spec's `node-port=` numbers; no Ingress objects.
    NodePort,
    /// ClusterIP Services behind one Ingress per `ingress` route; NodePorts are not published.
    Ingress,
    /// LoadBalancer Services for every published port; no Ingress objects.
    LoadBalancer,
}

impl Exposure {
    pub const ALL: [(&'static str, Exposure); 3] = [
        ("nodeport", Exposure::NodePort),
        ("ingress", Exposure::Ingress),
        ("loadbalancer", Exposure::LoadBalancer),
    ];
}

/// An environment's `exposure` node with the ingress controller's settings.
#[derive(Debug, Clone)]
pub struct ExposureSettings {
    pub mode: Spanned<Exposure>,
    /// `class="nginx"`: the IngressClass of routes that name none.
    pub class: Option<Spanned<String>>,
    /// `controller-namespace="ingress-nginx"`: where the controller runs, admitted by the
    /// NetworkPolicies of routed ports.
    pub controller_namespace: Option<Spanned<String>>,
    /// `tls-secret="…"`: the certificate of routes that name none (a wildcard certificate for
    /// the `ingress-domain`).
    pub tls_secret: Option<Spanned<String>>,
}

impl ExposureSettings {
    pub const DEFAULT_CONTROLLER_NAMESPACE: &'static str = "ingress-nginx";
}

/// `prometheus "operator" [namespace="monitoring"]` or `prometheus "annotations"
/// [service="prometheus"]` on the platform: how metrics are scraped and by whom.
#[derive(Debug, Clone)]
pub struct Prometheus {
    /// True: ServiceMonitor objects (the Prometheus operator); false: `prometheus.io/*` pod
    /// annotations for a plain Prometheus.
    pub operator: bool,
    /// The scraper's namespace, admitted by NetworkPolicies on metrics ports.
    pub namespace: Option<Spanned<String>>,
    /// A spec service that scrapes: its pods (not its whole namespace) are admitted.
    pub service: Option<Spanned<String>>,
    /// `pod-label="app.kubernetes.io/name=prometheus"`: the label of the scraper's pods when it
    /// is not a spec service, so that only they — not every pod of their namespace (a Grafana
    /// beside them) — are admitted on metrics ports.
    pub pod_label: Option<(Spanned<String>, Spanned<String>)>,
    pub span: SourceSpan,
}

impl Prometheus {
    pub const DEFAULT_NAMESPACE: &'static str = "monitoring";
    /// The label the Prometheus operator (and kube-prometheus-stack) puts on every Prometheus
    /// pod it runs.
    pub const DEFAULT_POD_LABEL: (&'static str, &'static str) =
        ("app.kubernetes.io/name", "prometheus");

    /// Where the scraper's pods run and the label that selects them, when it is not a spec
    /// service; `None` (no `prometheus` line) means the operator's defaults.
    pub fn outside_scraper(this: Option<&Self>) -> (&str, &str, &str) {
        let ns = this
            .and_then(|s| s.namespace.as_ref())
            .map_or(Self::DEFAULT_NAMESPACE, |n| n.value.as_str());
        let (k, v) = this
            .and_then(|s| s.pod_label.as_ref())
            .map_or(Self::DEFAULT_POD_LABEL, |(k, v)| {
                (k.value.as_str(), v.value.as_str())
            });
        (ns, k, v)
    }
}

/// The GitOps controller that delivers the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitOpsTool {
    ArgoCd,
    Flux,
}

impl GitOpsTool {
    pub const ALL: [(&'static str, GitOpsTool); 2] =
        [("argocd", GitOpsTool::ArgoCd), ("flux", GitOpsTool::Flux)];
}

/// Whether an environment's `cluster` is an API server URL (Argo CD's `destination.server`)
/// rather than a name (its `destination.name`, or Flux's kubeconfig Secret).
pub fn is_api_server_url(cluster: &str) -> bool {
    cluster.starts_with("https://") || cluster.starts_with("http://")
}

/// `gitops "argocd"|"flux" repo="…" [revision=] [project=] [path=] [plugin=#true]` on the
/// platform: `build` writes the controller's objects for every environment to
/// `output/gitops/` (an Argo CD ApplicationSet; Flux GitRepository and Kustomizations).
#[derive(Debug, Clone)]
pub struct GitOps {
    pub tool: Spanned<GitOpsTool>,
    /// The repository the spec and its output are committed to.
    pub repo: Spanned<String>,
    /// Argo CD's `targetRevision` (default `HEAD`); Flux's branch (default `main`).
    pub revision: Option<Spanned<String>>,
    /// Argo CD's project (default `default`).
    pub project: Option<Spanned<String>>,
    /// The spec's directory in the repository (default: its root).
    pub path: Option<Spanned<String>>,
    /// Argo CD renders the spec itself through the maestroc plugin (gitops/argocd/) instead
    /// of reading the committed `output/k8s/<env>`.
    pub plugin: bool,
    pub span: SourceSpan,
}
