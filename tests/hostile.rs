//! The hostile-spec corpus: specs that use every escape hatch the language offers (patches,
//! `extra` files, annotations, `allow`s, environment overlays) to lower a pod's Pod Security
//! level. Each case must either be refused — exit 2, a coded error at a span in the spec — or
//! build into objects whose pods all meet their namespace's `enforce` label, judged by the
//! tests' own evaluator (`common/pss.rs`), written from the published control list apart from
//! the compiler's. No case may be "unsafe": built, with a pod its namespace would refuse.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::pss;
use serde_json::Value;

/// A case: the spec's extra platform lines, the api service's extra lines, files beside the
/// spec, and what must happen.
struct Case {
    name: &'static str,
    platform: &'static str,
    service: &'static str,
    files: &'static [(&'static str, &'static str)],
    expect: Expect,
}

#[derive(Debug, PartialEq, Clone, Copy)]
enum Expect {
    /// Exit 2 with this code at a span.
    Refused(&'static str),
    /// Builds; the api's namespace is labelled this level and every pod meets its label.
    Builds(&'static str),
}
use Expect::*;

/// A patch of the api's pod spec, as the YAML file `p.yaml`.
const fn pod_patch(
    name: &'static str,
    yaml: &'static str,
    expect: Expect,
    files: &'static [(&'static str, &'static str)],
) -> Case {
    let _ = yaml;
    Case {
        name,
        platform: "",
        service: "patch \"Deployment\" file=\"p.yaml\"",
        files,
        expect,
    }
}

macro_rules! patch_case {
    ($name:expr, $yaml:expr, $expect:expr) => {
        pod_patch(
            $name,
            $yaml,
            $expect,
            &[("p.yaml", concat!("spec:\n  template:\n    spec:\n", $yaml))],
        )
    };
}

macro_rules! container_case {
    ($name:expr, $yaml:expr, $expect:expr) => {
        pod_patch(
            $name,
            $yaml,
            $expect,
            &[(
                "p.yaml",
                concat!(
                    "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n",
                    $yaml
                ),
            )],
        )
    };
}

const PRIVILEGED_DS: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      containers:
        - name: agent
          image: ghcr.io/acme/agent:1.0
          securityContext:
            privileged: true
";

const HOSTNET_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  hostNetwork: true
  containers:
    - name: debug
      image: busybox:1.36
";

const HOSTPID_CRON: &str = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: sweeper
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          restartPolicy: Never
          containers:
            - name: sweep
              image: busybox:1.36
";

const RESTRICTED_DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: worker
          image: ghcr.io/acme/worker:1.0
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
";

const BASELINE_DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy
spec:
  selector:
    matchLabels: {app: legacy}
  template:
    metadata:
      labels: {app: legacy}
    spec:
      containers:
        - name: legacy
          image: ghcr.io/acme/legacy:1.0
";

fn cases() -> Vec<Case> {
    let plain = |name, platform, service, expect| Case {
        name,
        platform,
        service,
        files: &[],
        expect,
    };
    let extra = |name, platform, files, expect| Case {
        name,
        platform,
        service: "extra \"x.yaml\"",
        files,
        expect,
    };
    vec![
        // Pod-level fields through a patch.
        patch_case!("hostNetwork", "      hostNetwork: true\n", Refused("MC501")),
        patch_case!("hostPID", "      hostPID: true\n", Refused("MC501")),
        patch_case!("hostIPC", "      hostIPC: true\n", Refused("MC501")),
        patch_case!(
            "pod seccomp Unconfined",
            "      securityContext:\n        seccompProfile: {type: Unconfined}\n",
            Refused("MC501")
        ),
        patch_case!(
            "pod seccomp removed",
            "      securityContext:\n        seccompProfile: null\n",
            Refused("MC501")
        ),
        patch_case!(
            "unsafe sysctl",
            "      securityContext:\n        sysctls: [{name: kernel.msgmax, value: \"65536\"}]\n",
            Refused("MC501")
        ),
        patch_case!(
            "safe sysctl",
            "      securityContext:\n        sysctls: [{name: net.ipv4.tcp_syncookies, value: \"1\"}]\n",
            Builds("restricted")
        ),
        patch_case!(
            "SELinux type spc_t",
            "      securityContext:\n        seLinuxOptions: {type: spc_t}\n",
            Refused("MC501")
        ),
        patch_case!(
            "SELinux container_t",
            "      securityContext:\n        seLinuxOptions: {type: container_t}\n",
            Builds("restricted")
        ),
        patch_case!(
            "SELinux user",
            "      securityContext:\n        seLinuxOptions: {user: system_u}\n",
            Refused("MC501")
        ),
        patch_case!(
            "pod AppArmor Unconfined",
            "      securityContext:\n        appArmorProfile: {type: Unconfined}\n",
            Refused("MC501")
        ),
        patch_case!(
            "pod hostProcess",
            "      securityContext:\n        windowsOptions: {hostProcess: true}\n",
            Refused("MC501")
        ),
        patch_case!(
            "hostPath volume",
            "      volumes: [{name: host, hostPath: {path: /var/run}}]\n",
            Refused("MC501")
        ),
        patch_case!(
            "nfs volume",
            "      volumes: [{name: share, nfs: {server: nfs.local, path: /x}}]\n",
            Refused("MC501")
        ),
        patch_case!(
            "pod runAsUser 0",
            "      securityContext:\n        runAsUser: 0\n",
            Refused("MC501")
        ),
        patch_case!(
            "pod runAsNonRoot false",
            "      securityContext:\n        runAsNonRoot: false\n",
            Refused("MC501")
        ),
        patch_case!(
            "pod securityContext removed",
            "      securityContext: null\n",
            Refused("MC501")
        ),
        pod_patch(
            "AppArmor annotation through a patch",
            "",
            Refused("MC501"),
            &[(
                "p.yaml",
                "spec:\n  template:\n    metadata:\n      annotations:\n        container.apparmor.security.beta.kubernetes.io/api: unconfined\n",
            )],
        ),
        patch_case!(
            "privileged init container",
            "      initContainers:\n        - name: setup\n          image: busybox:1.36\n          securityContext: {privileged: true}\n",
            Refused("MC501")
        ),
        patch_case!(
            "init container without a security context",
            "      initContainers:\n        - name: setup\n          image: busybox:1.36\n",
            Refused("MC501")
        ),
        // Container-level fields through a patch.
        container_case!(
            "privileged",
            "          securityContext: {privileged: true}\n",
            Refused("MC501")
        ),
        container_case!(
            "add SYS_ADMIN",
            "          securityContext: {capabilities: {add: [SYS_ADMIN]}}\n",
            Refused("MC501")
        ),
        container_case!(
            "add NET_RAW",
            "          securityContext: {capabilities: {add: [NET_RAW]}}\n",
            Refused("MC501")
        ),
        container_case!(
            "add CHOWN",
            "          securityContext: {capabilities: {add: [CHOWN]}}\n",
            Refused("MC501")
        ),
        container_case!(
            "add NET_BIND_SERVICE",
            "          securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}\n",
            Builds("restricted")
        ),
        container_case!(
            "drop nothing",
            "          securityContext: {capabilities: {drop: []}}\n",
            Refused("MC501")
        ),
        container_case!(
            "allowPrivilegeEscalation",
            "          securityContext: {allowPrivilegeEscalation: true}\n",
            Refused("MC501")
        ),
        container_case!(
            "container runAsUser 0",
            "          securityContext: {runAsUser: 0}\n",
            Refused("MC501")
        ),
        container_case!(
            "container runAsNonRoot false",
            "          securityContext: {runAsNonRoot: false}\n",
            Refused("MC501")
        ),
        container_case!(
            "procMount Unmasked",
            "          securityContext: {procMount: Unmasked}\n",
            Refused("MC501")
        ),
        container_case!(
            "container seccomp Unconfined",
            "          securityContext: {seccompProfile: {type: Unconfined}}\n",
            Refused("MC501")
        ),
        container_case!(
            "container seccomp Localhost",
            "          securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}\n",
            Builds("restricted")
        ),
        container_case!(
            "hostPort",
            "          ports: [{name: http, containerPort: 8080, hostPort: 8080}]\n",
            Refused("MC501")
        ),
        container_case!(
            "container securityContext removed",
            "          securityContext: null\n",
            Refused("MC501")
        ),
        container_case!(
            "container AppArmor Unconfined",
            "          securityContext: {appArmorProfile: {type: Unconfined}}\n",
            Refused("MC501")
        ),
        container_case!(
            "container SELinux role",
            "          securityContext: {seLinuxOptions: {role: sysadm_r}}\n",
            Refused("MC501")
        ),
        container_case!(
            "container hostProcess",
            "          securityContext: {windowsOptions: {hostProcess: true}}\n",
            Refused("MC501")
        ),
        // `allow`: the spec's consent, labelled as what the pod really meets.
        plain(
            "allow SYS_ADMIN",
            "",
            "allow \"capabilities\" \"SYS_ADMIN\" reason=\"mounts fuse\"",
            Builds("privileged"),
        ),
        plain(
            "allow NET_ADMIN and SYS_PTRACE",
            "",
            "allow \"capabilities\" \"NET_ADMIN\" \"SYS_PTRACE\" reason=\"a network debugger\"",
            Builds("privileged"),
        ),
        plain(
            "allow ALL",
            "",
            "allow \"capabilities\" \"ALL\" reason=\"legacy\"",
            Builds("privileged"),
        ),
        plain(
            "allow CHOWN",
            "",
            "allow \"capabilities\" \"CHOWN\" reason=\"fixes volume ownership\"",
            Builds("baseline"),
        ),
        plain(
            "allow root",
            "",
            "allow \"root\" reason=\"binds 80\"",
            Builds("baseline"),
        ),
        plain(
            "allow privilege-escalation",
            "",
            "allow \"privilege-escalation\" reason=\"gosu\"",
            Builds("baseline"),
        ),
        plain(
            "run-as-user 0 without allow",
            "",
            "run-as-user 0",
            Builds("baseline"),
        ),
        plain(
            "allow NET_RAW under a baseline declaration",
            "pod-security \"baseline\"",
            "allow \"capabilities\" \"NET_RAW\" reason=\"ping\"",
            Refused("MC501"),
        ),
        plain(
            "allow root under a restricted declaration",
            "pod-security \"restricted\" namespace=\"shop\"",
            "allow \"root\" reason=\"binds 80\"",
            Refused("MC501"),
        ),
        plain(
            "allow host-path",
            "",
            "allow \"host-path\" reason=\"reads node logs\"\n    volume \"logs\" \"/var/log\" host-path=\"/var/log\"",
            Builds("privileged"),
        ),
        // Annotations.
        plain(
            "AppArmor unconfined annotation",
            "",
            "annotation \"container.apparmor.security.beta.kubernetes.io/api\" \"unconfined\"",
            Refused("MC501"),
        ),
        plain(
            "AppArmor runtime/default annotation",
            "",
            "annotation \"container.apparmor.security.beta.kubernetes.io/api\" \"runtime/default\"",
            Builds("restricted"),
        ),
        // Hand-written objects.
        extra(
            "privileged DaemonSet in extra",
            "",
            &[("x.yaml", PRIVILEGED_DS)],
            Refused("MC501"),
        ),
        extra(
            "hostNetwork Pod in extra",
            "",
            &[("x.yaml", HOSTNET_POD)],
            // A bare Pod is no kind an `extra` may ship.
            Refused("MC004"),
        ),
        extra(
            "hostPID CronJob in extra",
            "",
            &[("x.yaml", HOSTPID_CRON)],
            Refused("MC501"),
        ),
        extra(
            "restricted Deployment in extra",
            "",
            &[("x.yaml", RESTRICTED_DEPLOY)],
            Builds("restricted"),
        ),
        extra(
            "bare Deployment in extra",
            "",
            &[("x.yaml", BASELINE_DEPLOY)],
            Refused("MC501"),
        ),
        extra(
            "bare Deployment in extra, baseline accepted",
            "pod-security \"baseline\" namespace=\"shop\"",
            &[("x.yaml", BASELINE_DEPLOY)],
            Builds("baseline"),
        ),
        extra(
            "privileged DaemonSet in extra, privileged accepted",
            "pod-security \"privileged\"",
            &[("x.yaml", PRIVILEGED_DS)],
            Builds("privileged"),
        ),
        // Declarations.
        Case {
            name: "hostNetwork patch, privileged accepted",
            platform: "pod-security \"privileged\" namespace=\"shop\"",
            service: "patch \"Deployment\" file=\"p.yaml\"",
            files: &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      hostNetwork: true\n",
            )],
            expect: Builds("privileged"),
        },
        Case {
            name: "runAsUser 0 patch, baseline accepted",
            platform: "pod-security \"baseline\"",
            service: "patch \"Deployment\" file=\"p.yaml\"",
            files: &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      securityContext:\n        runAsUser: 0\n",
            )],
            expect: Builds("baseline"),
        },
        Case {
            name: "privileged patch, baseline accepted",
            platform: "pod-security \"baseline\"",
            service: "patch \"Deployment\" file=\"p.yaml\"",
            files: &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n          securityContext: {privileged: true}\n",
            )],
            expect: Refused("MC501"),
        },
        Case {
            name: "unknown level",
            platform: "pod-security \"lenient\"",
            service: "",
            files: &[],
            expect: Refused("MC004"),
        },
        // Other workload kinds and environment overlays.
        Case {
            name: "KDL patch of a StatefulSet",
            platform: "",
            service: "workload \"statefulset\"\n    patch \"StatefulSet\" { spec { template { spec { hostIPC #true } } } }",
            files: &[],
            expect: Refused("MC501"),
        },
        Case {
            name: "KDL patch of a CronJob",
            platform: "",
            service: "workload \"cronjob\"\n    schedule \"0 3 * * *\"\n    patch \"CronJob\" { spec { jobTemplate { spec { template { spec { hostNetwork #true } } } } } }",
            files: &[],
            expect: Refused("MC501"),
        },
        Case {
            name: "KDL patch of a DaemonSet",
            platform: "",
            service: "workload \"daemonset\"\n    patch \"DaemonSet\" { spec { template { spec { hostPID #true } } } }",
            files: &[],
            expect: Refused("MC501"),
        },
    ]
}

const ENV_OVERLAY: &str = "environment \"prod\" {
    service \"api\" {
        patch \"Deployment\" { spec { template { spec { hostNetwork #true } } } }
    }
}
";

fn spec_text(c: &Case) -> String {
    // A job has no probe.
    let health = if c.service.contains("cronjob") {
        ""
    } else {
        "health tcp=\"http\""
    };
    format!(
        "platform \"shop\" {{\n    namespace \"shop\"\n    {}\n}}\nservice \"api\" {{\n    image \"ghcr.io/acme/api:1.0\"\n    port \"http\" 8080\n    {health}\n    resources cpu=\"100m\" memory=\"64Mi\"\n    {}\n}}\n",
        c.platform, c.service
    )
}

fn docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(str::trim)
        .filter(|d| d.lines().any(|l| !l.starts_with('#') && !l.is_empty()))
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap())
        .collect()
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Refused(String),
    /// Built; the api namespace's label.
    Safe(String),
    Unsafe(String),
}

fn run(dir: &Path, spec: &str, files: &[(&str, &str)]) -> Outcome {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("platform.kdl"), spec).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let out = common::maestroc(dir, &["build"]);
    let code = out.status.code();
    assert!(code.is_some(), "ended by a signal");
    if code != Some(0) {
        assert_eq!(code, Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        let json = common::maestroc(dir, &["check", "--format", "json"]);
        let report: Value = serde_json::from_slice(&json.stdout).unwrap();
        let errors: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        assert!(!errors.is_empty(), "refused without an error finding");
        for e in &errors {
            assert!(
                e["labels"].as_array().is_some_and(|l| !l.is_empty()),
                "an error without a span: {e}"
            );
        }
        return Outcome::Refused(errors[0]["code"].as_str().unwrap().to_string());
    }
    // Built: every pod meets its namespace's enforce label.
    let mut objects = Vec::new();
    for path in common::files_under(&dir.join("output/k8s")) {
        objects.extend(docs(
            &std::fs::read_to_string(dir.join("output/k8s").join(path)).unwrap(),
        ));
    }
    let labels: BTreeMap<String, String> = objects
        .iter()
        .filter(|o| o["kind"] == "Namespace")
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    for o in &objects {
        let Some((meta, pod)) = pss::pod_of(o) else {
            continue;
        };
        let ns = o["metadata"]["namespace"].as_str().unwrap();
        let label = labels.get(ns).map_or("privileged", String::as_str);
        let (level, failed) = pss::level(meta, pod);
        if pss::rank(level) < pss::rank(label) {
            return Outcome::Unsafe(format!(
                "{} in {ns} meets {level} under {label}: {failed:?}",
                o["metadata"]["name"]
            ));
        }
    }
    Outcome::Safe(labels.get("shop").cloned().unwrap_or_default())
}

#[test]
fn hostile_specs_are_refused_or_meet_their_namespace_label() {
    let root = tempfile::tempdir().unwrap();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut all = cases();
    all.push(Case {
        name: "patch in an environment overlay",
        platform: "",
        service: "",
        files: &[],
        expect: Refused("MC501"),
    });
    for (i, c) in all.iter().enumerate() {
        let mut spec = spec_text(c);
        if c.name == "patch in an environment overlay" {
            spec.push_str(ENV_OVERLAY);
        }
        let outcome = run(&root.path().join(i.to_string()), &spec, c.files);
        let kind = match &outcome {
            Outcome::Refused(_) => "refused",
            Outcome::Safe(_) => "safe",
            Outcome::Unsafe(_) => "unsafe",
        };
        *tally.entry(kind).or_default() += 1;
        let as_expected = match (&outcome, c.expect) {
            (Outcome::Refused(code), Refused(want)) => code == want,
            (Outcome::Safe(label), Builds(want)) => label == want,
            _ => false,
        };
        if !as_expected {
            wrong.push(format!("{}: {outcome:?}, expected {:?}", c.name, c.expect));
        }
    }
    eprintln!("hostile Pod Security cases: {tally:?}");
    assert!(all.len() >= 60, "{} cases", all.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(tally.get("unsafe"), None);
}

/// Files beside the spec: (name, text).
type Files = &'static [(&'static str, &'static str)];

/// Credentials in every place the spec can put a string into output, and objects the API
/// server refuses although their schema passes: each refused with its code, and the value
/// printed nowhere (human and JSON reports alike).
#[test]
fn credentials_anywhere_and_invalid_objects_are_refused_without_printing_the_value() {
    const V: &str = "Hunter2xyz";
    let cases: &[(&str, &str, &str, Files)] = &[
        (
            "MC306",
            "",
            "env DB_URL \"postgresql://admin:Hunter2xyz@{DB_ADDRESS}/app\"",
            &[],
        ),
        (
            "MC306",
            "",
            "env CACHE \"redis://:Hunter2xyz@cache:6379\"",
            &[],
        ),
        (
            "MC306",
            "",
            "env HOOK \"https://hooks.example.com/x?password=Hunter2xyz\"",
            &[],
        ),
        (
            "MC306",
            "defaults {\n    value DB_URL \"mysql://root:Hunter2xyz@db/app\"\n}",
            "",
            &[],
        ),
        (
            "MC301",
            "defaults {\n    value ADMIN_PASSWORD \"Hunter2xyz\"\n}",
            "",
            &[],
        ),
        (
            "MC301",
            "",
            "init-container \"migrate\" {\n        image \"ghcr.io/acme/m:1\"\n        env DB_PASSWORD \"Hunter2xyz\"\n    }",
            &[],
        ),
        (
            "MC301",
            "",
            "sidecar \"proxy\" {\n        image \"envoy:1.30\"\n        env PROXY_TOKEN \"Hunter2xyz\"\n    }",
            &[],
        ),
        (
            "MC306",
            "",
            "sidecar \"proxy\" {\n        image \"envoy:1.30\"\n        args \"--upstream=amqp://guest:Hunter2xyz@mq:5672\"\n    }",
            &[],
        ),
        (
            "MC306",
            "",
            "command \"sh\" \"-c\" \"psql postgresql://u:Hunter2xyz@db/app\"",
            &[],
        ),
        (
            "MC301",
            "",
            "annotation \"acme.io/api-token\" \"Hunter2xyz\"",
            &[],
        ),
        ("MC301", "", "label \"secret\" \"Hunter2xyz\"", &[]),
        (
            "MC301",
            "",
            "patch \"Deployment\" { spec { template { spec { containers { - { name \"api\"; env { - { name \"API_SECRET\"; value \"Hunter2xyz\"; }; }; }; }; }; }; }; }",
            &[],
        ),
        (
            "MC301",
            "",
            "patch \"Deployment\" file=\"p.yaml\"",
            &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env: [{name: DB_PASSWORD, value: Hunter2xyz}]\n",
            )],
        ),
        (
            "MC306",
            "",
            "patch \"Deployment\" { spec { template { spec { containers { - { name \"api\"; args { - \"--db=postgres://a:Hunter2xyz@db/x\"; }; }; }; }; }; }; }",
            &[],
        ),
        (
            "MC301",
            "",
            "extra \"x.yaml\"",
            &[(
                "x.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  DB_PASSWORD: Hunter2xyz\n",
            )],
        ),
        (
            "MC306",
            "",
            "extra \"x.yaml\"",
            &[(
                "x.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  url: mongodb://app:Hunter2xyz@mongo/app\n",
            )],
        ),
        ("MC307", "", "env UPLOAD \"AKIAHUNTER2XYZ000000\"", &[]),
        (
            "MC307",
            "",
            "env CONFIG \"ghp_Hunter2xyzHunter2xyzHunter2xyzHunter2\"",
            &[],
        ),
        ("MC307", "", "env CHAT \"xoxb-Hunter2xyz-0000000000\"", &[]),
        (
            "MC301",
            "",
            "env AWS_SECRET_ACCESS_KEY \"Hunter2xyz/K7MDENG/bPxRfiCYEXAMPLEKEYabc\"",
            &[],
        ),
        (
            "MC307",
            "",
            "env SESSION \"eyJhbGciOiJIUzI1NiJ9.eyJIunter2xyz0000.Hunter2xyz0000000\"",
            &[],
        ),
        (
            "MC307",
            "",
            "annotation \"acme.io/pay\" \"sk_live_Hunter2xyz0000000000\"",
            &[],
        ),
    ];
    let invalid: &[(&str, &str, Files)] = &[
        (
            "MC502",
            "patch \"Deployment\" { spec { template { spec { containers { - { name \"api\"; volumeMounts { - { name \"cache\"; mountPath \"/c\"; }; }; }; }; }; }; }; }",
            &[],
        ),
        (
            "MC502",
            "patch \"Deployment\" file=\"p.yaml\"",
            &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n          resources: {requests: {memory: 1Gi}, limits: {memory: 64Mi}}\n",
            )],
        ),
        (
            "MC502",
            "patch \"Deployment\" file=\"p.yaml\"",
            &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n          readinessProbe: {exec: {command: [check]}, tcpSocket: {port: 8080}}\n",
            )],
        ),
        (
            "MC502",
            "extra \"x.yaml\"",
            &[(
                "x.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: other}}\n    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n        - name: w\n          image: x:1\n          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n",
            )],
        ),
        (
            "MC502",
            "patch \"Deployment\" file=\"p.yaml\"",
            &[(
                "p.yaml",
                "spec:\n  template:\n    spec:\n      initContainers: [{name: api, image: \"busybox:1.36\", securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}}]\n",
            )],
        ),
        // Names and label values longer than the API server accepts.
        (
            "MC502",
            "patch \"Deployment\" { spec { template { metadata { labels { team \"a-label-value-that-is-far-too-long-to-be-accepted-by-the-api-server\"; }; }; }; }; }",
            &[],
        ),
        (
            "MC502",
            "patch \"Deployment\" { spec { template { spec { containers { - { name \"api\"; ports { - { name \"metrics-endpoint-port\"; containerPort 9090; }; }; }; }; }; }; }; }",
            &[],
        ),
        (
            "MC502",
            "extra \"x.yaml\"",
            &[(
                "x.yaml",
                "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a-nightly-report-generation-job-with-a-very-long-name-x}\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n          containers:\n            - name: r\n              image: x:1\n              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n",
            )],
        ),
    ];
    let root = tempfile::tempdir().unwrap();
    let mut refused = 0;
    let all = cases
        .iter()
        .copied()
        .chain(invalid.iter().map(|(c, s, f)| (*c, "", *s, *f)));
    for (i, (code, top, service, files)) in all.enumerate() {
        let dir = root.path().join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let spec = format!(
            "platform \"shop\" {{\n    namespace \"shop\"\n}}\n{top}\nservice \"db\" {{\n    image \"postgres:16\"\n    port \"pg\" 5432\n}}\nservice \"api\" {{\n    image \"ghcr.io/acme/api:1.0\"\n    port \"http\" 8080\n    depends-on \"db\"\n    {service}\n}}\n"
        );
        std::fs::write(dir.join("platform.kdl"), &spec).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let out = common::maestroc(&dir, &["build"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "case {i} ({code}) built:\n{spec}\n{stderr}"
        );
        assert!(stderr.contains(code), "case {i}: no {code}:\n{stderr}");
        assert!(!dir.join("output").exists(), "case {i} wrote output");
        let json = common::maestroc(&dir, &["check", "--format", "json"]);
        let text = format!("{stderr}{}", String::from_utf8_lossy(&json.stdout));
        // The credential's text (and any 6-character piece of it) is shown nowhere.
        assert!(
            !text.contains(&V[..6]),
            "case {i} printed the credential:\n{text}"
        );
        refused += 1;
    }
    eprintln!("hostile credential and API-server cases refused: {refused}");
}

/// A random-looking token of no known format (gitleaks' generic rule) is a warning, MC308 —
/// randomness is a hint, not evidence — reported at its span with the value masked; a
/// certificate or a digest beside it is not.
#[test]
fn high_entropy_values_are_warned_about_without_printing_them() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "platform \"shop\" {\n    namespace \"shop\"\n}\nservice \"api\" {\n    image \"ghcr.io/acme/api:1.0\"\n    port \"http\" 8080\n    args \"--api-key\" \"q8Xr2LmZ7vTn4KpW9sYb3HcJ\"\n    env BUILD \"sha256:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdI\"\n}\n";
    std::fs::write(dir.path().join("platform.kdl"), spec).unwrap();
    let built = common::maestroc(dir.path(), &["build"]);
    assert_eq!(
        built.status.code(),
        Some(0),
        "a warning does not stop the build"
    );
    let out = common::maestroc(dir.path(), &["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "MC308")
        .collect();
    assert_eq!(found.len(), 1, "{report}");
    let offset = found[0]["labels"][0]["offset"].as_u64().unwrap() as usize;
    assert_eq!(&spec[offset..offset + 24], "q8Xr2LmZ7vTn4KpW9sYb3HcJ");
    let human = common::maestroc(dir.path(), &["check"]);
    let text = format!(
        "{}{}{}",
        String::from_utf8_lossy(&built.stderr),
        String::from_utf8_lossy(&human.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(text.contains("MC308") && !text.contains("q8Xr2L"), "{text}");
}
