//! MC1xx: port numbers, names and the NodePort registry.

use super::Rule;
use crate::diagnostic::Severity::{Error, Warning};

pub(super) static RULES: &[Rule] = &[
    Rule {
        code: "MC101",
        name: "duplicate-port",
        severity: Error,
        summary: "two ports of one service share a number or a name",
        explanation: "What it does: flags a port number or port name used twice in one service \
(both places labelled).\n\
Why it matters: the API server rejects a Service with duplicate port names, and two listeners \
cannot bind one number.\n\
Example: `port http 8080` and `port metrics 8080` in the same service.\n\
Fix: give each port its own number and name.",
    },
    Rule {
        code: "MC102",
        name: "port-out-of-range",
        severity: Error,
        summary: "a port number outside 1–65535",
        explanation: "What it does: flags container and Service port numbers outside 1–65535.\n\
Why it matters: the API server rejects it.\n\
Example: `port http 80800`.\n\
Fix: `port http 8080`.",
    },
    Rule {
        code: "MC103",
        name: "nodeport-out-of-range",
        severity: Error,
        summary: "a NodePort outside Kubernetes' 30000–32767, or a registry range outside it",
        explanation: "What it does: flags `node-port=` values and `node-ports LO HI` ranges outside \
the default Kubernetes NodePort range 30000–32767.\n\
Why it matters: the API server rejects the Service.\n\
Example: `port http 8080 node-port=8080`.\n\
Fix: pick a port inside the registry, e.g. with `maestroc ports allocate SERVICE PORT`.",
    },
    Rule {
        code: "MC104",
        name: "nodeport-outside-registry",
        severity: Error,
        summary: "a NodePort outside the platform's `node-ports` registry range",
        explanation: "What it does: flags a `node-port=` outside the `node-ports LO HI` range of \
the platform block.\n\
Why it matters: the registry is how teams sharing a cluster avoid stepping on each other's \
NodePorts.\n\
Example: `node-ports 30500 30999` and `node-port=31000`.\n\
Fix: pick a free port inside the registry.",
    },
    Rule {
        code: "MC105",
        name: "nodeport-collision",
        severity: Error,
        summary: "two ports claim the same NodePort",
        explanation: "What it does: flags a NodePort number used by two ports of the platform \
(both places labelled).\n\
Why it matters: the second Service is rejected at apply time: the NodePort is already allocated.\n\
Example: `mlflow` and `feast` both with `node-port=30500`.\n\
Fix: give one of them the next free port in the registry.",
    },
    Rule {
        code: "MC106",
        name: "privileged-port-non-root",
        severity: Warning,
        summary: "a port below 1024 on a workload that runs as a non-root user",
        explanation: "What it does: flags a port below 1024 in a service that runs as a non-root \
user — every service, unless it says `allow \"root\"` or `run-as-user 0`.\n\
Why it matters: binding a privileged port needs root or CAP_NET_BIND_SERVICE; the process \
crashes at start with `permission denied`.\n\
Example: `port http 80` with no `allow \"root\"`.\n\
Fix: listen on an unprivileged port and expose the low one with `service-port=`: \
`port http 8080 service-port=80`.",
    },
    Rule {
        code: "MC107",
        name: "ingress-route-collision",
        severity: Error,
        summary: "two ingress routes claim the same host and path in an environment",
        explanation: "What it does: in each environment whose `exposure` is \"ingress\", \
derives every route's host (`host=`, else `<service>.<ingress-domain>`) and flags two routes \
with the same host and path.\n\
Why it matters: the ingress controller sends the traffic to one of them — which one depends on \
the controller and the order objects were created — and the other service is silently \
unreachable.\n\
Example: `ingress port=http host=\"ml.example.com\"` on both `mlflow` and `feast`.\n\
Fix: give one of them another `host=` or `path=`.",
    },
    Rule {
        code: "MC108",
        name: "ingress-without-host",
        severity: Error,
        summary: "a route in an environment with exposure \"ingress\" has no host",
        explanation: "What it does: flags an `ingress` route with no `host=` in an environment \
whose `exposure` is \"ingress\" and that declares no `ingress-domain` to derive one from.\n\
Why it matters: an Ingress rule without a host matches every host name, so the route would \
capture the traffic of every other service behind the controller.\n\
Example: `exposure \"ingress\"` in `production`, `ingress port=http` on `mlflow`, no \
`ingress-domain`.\n\
Fix: `ingress-domain \"example.com\"` in the environment (mlflow becomes \
mlflow.example.com), or `host=` on the route.",
    },
    Rule {
        code: "MC109",
        name: "nodeport-held-elsewhere",
        severity: Error,
        summary: "a NodePort the shared registry gives to another project",
        explanation: "What it does: with `node-ports LO HI registry=\"…\"`, reads the registry \
file the projects of one cluster share and flags each NodePort of this spec (any environment) \
that another project holds.\n\
Why it matters: NodePorts are cluster-wide; the second project to apply its Service is refused \
by the API server (`provided port is already allocated`), or, worse, takes the port over after \
the first one is deleted and redeployed.\n\
Example: `port http 5000 node-port=30500` while the registry gives 30500 to `feature-store`.\n\
Fix: remove `node-port=` and run `maestroc ports allocate SERVICE PORT`, which picks a port \
free in both the spec and the registry and records it in both.",
    },
    Rule {
        code: "MC110",
        name: "nodeport-registry-out-of-date",
        severity: Warning,
        summary: "the shared registry does not record a NodePort the spec uses, or records one it dropped",
        explanation: "What it does: compares this project's entries in the shared NodePort \
registry with the spec's NodePorts and flags each one missing from the registry and each entry \
the spec no longer uses.\n\
Why it matters: another project allocating from the registry cannot see an unrecorded port and \
may take it; a stale entry keeps a port nobody uses out of everyone's reach.\n\
Example: `node-port=30510` written by hand instead of with `maestroc ports allocate`.\n\
Fix: `maestroc ports sync` records the spec's NodePorts and drops the stale entries.",
    },
];
