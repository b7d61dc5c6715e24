//! MC2xx: the repository disagreeing with the spec. MC201–MC204, MC206 and MC207 come from
//! the drift scanner (`check --scan`); MC205 from `check`'s output comparison.

use super::Rule;
use crate::diagnostic::Severity::{Error, Info, Warning};

pub(super) static RULES: &[Rule] = &[
    Rule {
        code: "MC201",
        name: "port-drift",
        severity: Error,
        summary: "a hardcoded port or address that disagrees with the spec",
        explanation: "What it does: finds addresses of spec services (`host:port`, `host.ns.svc…`, \
`scheme://host:port`), assignments of service-ports keys (`ORCHESTRATOR_PORT = 50052`), and, \
inside a service's own `source` directory, its binds (`PORT = N`, `listen(N)`, `EXPOSE N`, \
`--port N`), and reports each whose port is not the one the spec declares. Literal env \
values in platform.kdl itself are checked the same way (`env DB_URL \"ledger-db:5433\"`).\n\
Why it matters: this is the bug maestroc exists for: a monitoring client dialled \
`orchestrator…:50052` while the orchestrator listened on 50055, found by hand after it broke.\n\
Example: `os.getenv(\"ORCHESTRATOR_ADDRESS\", \"orchestrator.swe-ai-fleet.svc.cluster.local:50052\")`.\n\
Fix: read the address from the environment (the service-ports ConfigMap provides it) and \
drop the literal; or correct the port.",
    },
    Rule {
        code: "MC202",
        name: "hardcoded-default",
        severity: Warning,
        summary: "a fallback literal for a variable the manifest always provides",
        explanation: "What it does: flags `os.getenv(\"X\", \"…\")`, `process.env.X ?? \"…\"`, \
`${X:-…}` and the like in a service's source when the service's manifest provides X.\n\
Why it matters: the default hides broken wiring: when the variable goes missing the service \
quietly talks to the wrong place instead of failing at start.\n\
Example: `os.getenv(\"NATS_ADDRESS\", \"nats://localhost:4222\")` in a service that depends on nats.\n\
Fix: make it required: `os.environ[\"NATS_ADDRESS\"]`.",
    },
    Rule {
        code: "MC203",
        name: "env-not-provided",
        severity: Error,
        summary: "a service's code reads a wiring variable its manifest does not provide",
        explanation: "What it does: flags reads of `*_PORT`, `*_ADDRESS`, `*_HOST`, `*_URL`, `*_URI`, \
`*_ENDPOINT` variables in a service's source that its manifest does not set (own keys, its \
dependencies' keys, its `env`, `defaults` values).\n\
Why it matters: the service starts with the variable empty, or with a fallback pointing nowhere.\n\
Example: the monitoring code reads NEO4J_ADDRESS, but monitoring does not depend on neo4j.\n\
Fix: add the dependency (`depends-on neo4j`) or an `env` line that provides it.",
    },
    Rule {
        code: "MC204",
        name: "undeclared-dependency",
        severity: Warning,
        summary: "a service's code uses another service's address without depends-on",
        explanation: "What it does: flags an address of service B in the source directory of \
service A when A does not declare `depends-on B`.\n\
Why it matters: A may start before B, does not receive B's keys, and B's NetworkPolicy drops \
A's traffic.\n\
Example: `redis://redis:6379` in services/api while api has no `depends-on redis`.\n\
Fix: `depends-on redis` in api, and read REDIS_ADDRESS from the environment.",
    },
    Rule {
        code: "MC205",
        name: "stale-output",
        severity: Error,
        summary: "a generated file in output/ differs from what the spec builds",
        explanation: "What it does: builds the spec in memory and compares every generated file \
with output/ on disk: a missing file, a generated file the spec no longer produces, and a file \
whose contents differ (hand-edited, or the spec changed without a build) are each reported \
with the first differing line.\n\
Why it matters: the manifests applied to the cluster are the ones in output/; if they lag the \
spec, the single source of truth is not true.\n\
Example: `port grpc 50055` changed to 50056 in platform.kdl without running `maestroc build`.\n\
Fix: run `maestroc build` and commit output/ with the spec; `maestroc diff` shows what changes.",
    },
    Rule {
        code: "MC206",
        name: "manifest-drift",
        severity: Error,
        summary: "a hand-written Kubernetes manifest contradicts the spec",
        explanation: "What it does: reads Kubernetes YAML in the repository (not maestroc's \
output) and checks Deployments, StatefulSets, DaemonSets, Pods and Services named like a spec \
service: containerPort, Service port, targetPort and nodePort must be the spec's.\n\
Why it matters: two sources of truth disagree, and whichever is applied last wins.\n\
Example: deploy/k8s/orchestrator.yaml with `containerPort: 50052`.\n\
Fix: generate the manifest with `maestroc build`, or correct it.",
    },
    Rule {
        code: "MC207",
        name: "unscannable-file",
        severity: Info,
        summary: "a file the scanner skipped: too large, not UTF-8, or unreadable",
        explanation: "What it does: reports files the drift scanner could not read, so a clean \
report is not mistaken for a complete one. Binary files are skipped silently (counted in the \
summary).\n\
Why it matters: drift in a skipped file is not found.\n\
Example: a 50 MB SQL dump, a Latin-1 encoded script, a file without read permission.\n\
Fix: nothing, if the file holds no addresses; otherwise re-encode it as UTF-8, fix its \
permissions, or exclude it with .gitignore.",
    },
    Rule {
        code: "MC208",
        name: "suppression-without-reason",
        severity: Warning,
        summary: "a `maestroc: ignore[…]` comment that does not say why",
        explanation: "What it does: flags an inline suppression with nothing after its codes.\n\
Why it matters: a suppression is a decision that a finding is intended; without the reason, \
the next reader cannot tell an exception from a hidden bug.\n\
Example: `addr = os.getenv(\"OTEL_ADDR\")  # maestroc: ignore[MC203]`.\n\
Fix: `# maestroc: ignore[MC203] read only when ENABLE_TRACING=1`.",
    },
    Rule {
        code: "MC209",
        name: "unused-suppression",
        severity: Warning,
        summary: "a `maestroc: ignore[…]` comment that silences nothing",
        explanation: "What it does: flags an inline suppression on a line (or above a line) where \
none of its codes is reported, as ruff's RUF100 does.\n\
Why it matters: a stale suppression hides the next real finding on that line.\n\
Example: `# maestroc: ignore[MC201] legacy port` above a line that no longer has a port.\n\
Fix: remove the comment.",
    },
    Rule {
        code: "MC210",
        name: "stale-baseline-entry",
        severity: Info,
        summary: "a `check --baseline` entry that matches no finding any more",
        explanation: "What it does: with `check --baseline FILE`, reports each accepted finding \
(code, file, message) that the check no longer produces.\n\
Why it matters: a baseline should only shrink; an entry for a fixed drift would silently accept \
the same drift if it came back.\n\
Example: the baseline accepts MC203 for `BASE_URL` in frontend.py, and the read was removed.\n\
Fix: delete the entry, or rewrite the file with `check --write-baseline FILE`.",
    },
    Rule {
        code: "MC211",
        name: "live-drift",
        severity: Error,
        summary: "the running cluster differs from what the spec builds",
        explanation: "What it does: `diff --live` compares the cluster's objects (from `kubectl get -o yaml`, or fetched with kubectl) with the environment's build, as data, after taking out what the API server adds (status, managed fields, allocated IPs and NodePorts, defaults): each changed field, each object missing from the cluster and each object with maestroc's labels that the spec no longer has.\n\
Why it matters: a port `kubectl edit`ed during an incident, a Deployment scaled by hand or a deleted NetworkPolicy is drift nobody sees until the next apply undoes it — or until it breaks what the spec says is true.\n\
Example: `Deployment shop/cart: .spec.replicas is 3 in the cluster, 1 in the spec`.\n\
Fix: apply the spec again (`maestroc render --env ENV | kubectl apply -f -`), or, when the cluster is right, say it in the spec; differences someone else owns (replicas under an HPA, a mesh's injected sidecar) go into `[[live.ignore]]` in maestroc.toml.",
    },
];
