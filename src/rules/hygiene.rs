//! MC4xx: workload hygiene — things Kubernetes accepts that bite later.

use super::Rule;
use crate::diagnostic::Severity::Warning;

pub(super) static RULES: &[Rule] = &[
    Rule {
        code: "MC401",
        name: "unpinned-image",
        severity: Warning,
        summary: "an image without a tag, or tagged :latest",
        explanation: "What it does: flags images with no tag or digest, or with the tag `latest`.\n\
Why it matters: two nodes can run two different images under one name, and a rollback rolls \
back to nothing.\n\
Example: `image \"redis\"` or `image \"redis:latest\"`.\n\
Fix: pin a version (`redis:7.4.1-alpine`) or a digest (`redis@sha256:…`).",
    },
    Rule {
        code: "MC402",
        name: "missing-health",
        severity: Warning,
        summary: "a long-running workload with ports and no health probe",
        explanation: "What it does: flags a Deployment or StatefulSet that listens on a port but has \
no `health`.\n\
Why it matters: without probes, traffic reaches pods before they are ready and hung pods are \
never restarted.\n\
Example: `service \"api\" { image \"api:1\"; port http 8080 }`.\n\
Fix: `health http=\"/healthz\" port=http` (or `grpc=NAME`, `tcp=NAME`).",
    },
    Rule {
        code: "MC403",
        name: "missing-resources",
        severity: Warning,
        summary: "a workload with no resources and no platform default",
        explanation: "What it does: flags a deployed service without `resources` when `defaults` sets \
none either. Every container still gets requests and limits — each field from the environment, \
the service, `defaults`, else maestroc's fallback (cpu 100m, memory 128Mi, limits 500m and \
512Mi) — so nothing is unbounded, but the fallback is a guess.\n\
Why it matters: requests too small get pods evicted or throttled, too large waste the node; \
only the team knows the right size.\n\
Example: no `resources` anywhere in the spec.\n\
Fix: `defaults { resources cpu=\"100m\" memory=\"128Mi\" cpu-limit=\"500m\" memory-limit=\"512Mi\" }`.",
    },
    Rule {
        code: "MC404",
        name: "pull-always-local-image",
        severity: Warning,
        summary: "image-pull-policy Always on an image without a registry host",
        explanation: "What it does: flags an environment with `image-pull-policy \"Always\"` where a \
service's image names no registry host (a locally built image).\n\
Why it matters: the kubelet tries to pull an image that exists only in the local cache, and the \
pod fails with ErrImagePull.\n\
Example: `image \"orchestrator:dev\"` with `image-pull-policy \"Always\"` in `dev`.\n\
Fix: `image-pull-policy \"IfNotPresent\"` in that environment, or push the image to a registry.",
    },
    Rule {
        code: "MC405",
        name: "volume-without-storage-class",
        severity: Warning,
        summary: "an environment with volumes but no storage-class",
        explanation: "What it does: flags an environment where some deployed service has a volume \
and the environment sets no `storage-class`.\n\
Why it matters: the claim uses the cluster's default class, which differs between clusters \
(`standard` on minikube, `hostpath` on Docker Desktop) or does not exist, and the pod stays \
Pending.\n\
Example: `environment \"dev\" { }` and `volume data \"/data\" size=\"10Gi\"`.\n\
Fix: `storage-class \"hostpath\"` (or your cluster's class) in the environment.",
    },
    Rule {
        code: "MC406",
        name: "root-user",
        severity: Warning,
        summary: "a workload set to run as root without `allow \"root\"`",
        explanation: "What it does: flags `run-as-user 0` in a service that does not say why with \
`allow \"root\" reason=\"…\"`.\n\
Why it matters: a container breakout from a root process is a root process on the node, and a \
namespace enforcing Pod Security \"restricted\" refuses the pod.\n\
Example: `run-as-user 0`.\n\
Fix: run as an unprivileged UID (`run-as-user 10001`); most images support it. If the image \
truly needs root, say so: `allow \"root\" reason=\"postgres initialises its data dir as root\"`.",
    },
    Rule {
        code: "MC407",
        name: "image-repository-override",
        severity: Warning,
        summary: "an environment overrides a service's image with a different repository",
        explanation: "What it does: flags `image` in an environment override whose repository \
(the reference without its tag or digest) differs from the service's own image.\n\
Why it matters: overrides are for tags (`:dev`, `:1.4.0-rc1`); a different repository means \
the environment runs a different program under the same name, the drift teams lose days to.\n\
Example: `image \"registry.local/api:2\"` in the service, `image \"api-fork:2\"` in `dev`.\n\
Fix: override only the tag, or give the variant its own service.",
    },
    Rule {
        code: "MC408",
        name: "privilege-without-reason",
        severity: Warning,
        summary: "an `allow` that gives a privilege back without a `reason=`",
        explanation: "What it does: flags `allow \"root\"` (or any other privilege) with no \
`reason=`.\n\
Why it matters: every privilege is a hole in the restricted default; the reason is what a \
reviewer, the generated docs and checkov's skip annotation show, and without it nobody can tell \
a need from a leftover.\n\
Example: `allow \"writable-root\"`.\n\
Fix: `allow \"writable-root\" reason=\"nginx writes its pid file to /var/run\"` — or better, \
declare the directory with `writable \"/var/run\"` and drop the allow.",
    },
    Rule {
        code: "MC409",
        name: "literal-address",
        severity: Warning,
        summary: "an env value in the spec that spells out a spec service's address",
        explanation: "What it does: flags a literal env value holding `host:port` of a service \
the spec declares (`ledger-db:5432`, `http://cart.shop.svc.cluster.local:7070/x`) with the \
port that service exposes. With another port it is MC201 port-drift, an error.\n\
Why it matters: the port is then written twice; when the service moves, the literal does not, \
and the 50052 outage happens inside the spec itself.\n\
Example: `env SPRING_DATASOURCE_URL \"jdbc:postgresql://ledger-db:5432/db\"`.\n\
Fix: `ref=\"LEDGER_DB_ADDRESS\"` for the whole value, or a placeholder inside it: \
`\"jdbc:postgresql://{LEDGER_DB_ADDRESS}/db\"`.",
    },
    Rule {
        code: "MC410",
        name: "published-port-open-to-every-pod",
        severity: Warning,
        summary: "a NodePort or load-balancer port admits every pod of the cluster: the nodes' network is not declared",
        explanation: "What it does: flags a port published through a NodePort or a load balancer \
(and not narrowed by `expose … from-cidr=`/`from-namespace=`) in an environment that declares \
no `node-cidr`. Traffic to such a port arrives from node addresses (source-NATed under \
`externalTrafficPolicy: Cluster`), which no pod selector matches, so without the nodes' \
networks the NetworkPolicy can only admit everyone — every pod of every namespace included.\n\
Why it matters: the dependency graph says which pods may call the service; an open port lets \
any compromised pod in the cluster call it too (one platform had 12 graph edges and 115 \
admitted pairs).\n\
Example: `port http 5000 node-port=30500` with neither `node-cidr` on the platform nor in the \
environment.\n\
Fix: `node-cidr \"192.168.49.0/24\"` (the nodes' network; minikube's docker driver uses this \
one) on the platform or in the environment, or `expose http from-cidr=\"10.0.0.0/8\"` for \
the clients that may call it.",
    },
];
