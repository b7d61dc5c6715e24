//! Lint rules over a spec that parsed: secrets (MC301–MC303) and workload hygiene (MC4xx).
//! One function per rule, named after what it flags; each pushes findings and never stops.

pub mod credentials;

use crate::diagnostic::{Finding, Findings, Fix};
use crate::model::{EnvValue, Platform, Privilege, Service, WorkloadKind};
use crate::target::Target;

pub fn run(p: &Platform, out: &mut Findings) {
    for svc in &p.services {
        let vars = svc.env.iter().chain(
            p.environments
                .iter()
                .flat_map(|e| &e.services)
                .filter(|o| o.name.value == svc.name.value)
                .flat_map(|o| &o.env),
        );
        // Credentials in env values are judged with every other string of the document
        // (`credentials::document`).
        for var in vars {
            if let EnvValue::Literal(value) = &var.value {
                literal_address(p, value, out);
            }
        }
        if !svc.is_external() {
            unpinned_image(svc, out);
            missing_health(svc, out);
            missing_resources(p, svc, out);
            privileged_port_non_root(p, svc, out);
            root_user(svc, out);
            privilege_without_reason(svc, out);
        }
    }
    credentials::shipped_files(p, out);
    unused_secret(p, out);
    image_repository_override(p, out);
    for t in Target::all(p) {
        pull_always_local_image(&t, out);
        volume_without_storage_class(&t, out);
    }
    published_port_open_to_every_pod(p, out);
}

/// MC410: a published port whose NetworkPolicy can only admit everyone, because no
/// environment that publishes it declares the nodes' networks. One finding per port, naming
/// the environments.
fn published_port_open_to_every_pod(p: &Platform, out: &mut Findings) {
    if !p.network_policies() {
        return;
    }
    let targets = Target::all(p);
    for svc in p.services.iter().filter(|s| !s.is_external()) {
        for port in &svc.ports {
            let open_in: Vec<&str> = targets
                .iter()
                .filter(|t| {
                    t.runs(svc)
                        && t.node_cidrs().is_empty()
                        && t.open_to_outside(svc)
                            .iter()
                            .any(|x| x.name.value == port.name.value)
                })
                .map(|t| t.name())
                .collect();
            if open_in.is_empty() {
                continue;
            }
            let span = port
                .node_port
                .as_ref()
                .map(|n| n.span)
                .or(svc.service_type.as_ref().map(|s| s.span))
                .unwrap_or(port.name.span);
            out.push(
                Finding::new(
                    "MC410",
                    format!(
                        "`{}` port `{}` is published in {} and admits every pod of the cluster",
                        svc.name.value,
                        port.name.value,
                        open_in.join(", ")
                    ),
                )
                .at(span, "reached from node addresses, which no pod selector matches")
                .help("declare the nodes' network, e.g. `node-cidr \"192.168.49.0/24\"` on the platform or in the environment, or narrow the port with `expose PORT from-cidr=\"…\"`"),
            );
        }
    }
}

pub(crate) fn says_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "PRIVATE",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n.ends_with("_KEY")
}

pub(crate) fn says_credential(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    says_secret(&n)
        || ["USER", "PASS", "AUTH", "LOGIN"]
            .iter()
            .any(|w| n.contains(w))
}

/// A variable named like a secret that holds something else: where the secret lives
/// (`DB_PASSWORD_FILE=/run/secrets/db`), what it is called, or a setting about it.
fn names_a_setting(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "_FILE",
        "_PATH",
        "_DIR",
        "_NAME",
        "_REF",
        "_LENGTH",
        "_ENABLED",
        "_TTL",
        "_POLICY",
        "_HEADER",
        "_ROTATION",
        "_EXPIRY",
    ];
    let n = name.to_ascii_uppercase();
    SUFFIXES.iter().any(|s| n.ends_with(s))
        // `checksum/secrets`: a hash of a secret, Helm's idiom to roll pods when it changes.
        || ["CHECKSUM", "HASH", "DIGEST"].iter().any(|w| n.contains(w))
}

/// A value no credential has: empty, a number, a boolean, an absolute path.
fn cannot_be_a_credential(v: &str) -> bool {
    v.is_empty()
        || v.parse::<f64>().is_ok()
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "enabled" | "disabled"
        )
        || v.starts_with('/')
}

/// Whether `env NAME "value"` writes a credential into the spec (MC301's question), for
/// `import`, which declares such values as secrets instead of writing them.
pub(crate) fn is_literal_secret(name: &str, value: &str) -> bool {
    holds_secret(name, value) || is_default_credential(name, value)
}

/// MC301's question: a variable named like a secret holding something a credential can be.
pub(crate) fn holds_secret(name: &str, value: &str) -> bool {
    says_secret(name)
        && !names_a_setting(name)
        && !names_no_secret(name)
        && !cannot_be_a_credential(value)
}

/// MC302: values every scanner tries first. `minioadmin` and `changeme` are flagged anywhere;
/// the generic words only on a variable whose name says it is a credential, so that
/// `env ROLE "admin"` is not a false alarm.
/// A value every scanner tries first: `minioadmin`, `change-me`… anywhere, and `admin`,
/// `password`, `root`… on a credential-named variable.
pub(crate) fn is_default_credential(name: &str, value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    let always = ["minioadmin", "changeme", "change-me", "change_me"];
    let credential_words = ["admin", "password", "root", "secret", "guest", "postgres"];
    always.contains(&v.as_str())
        || v.ends_with("-change-me")
        || v.ends_with("-changeme")
        || (says_credential(name)
            && !names_no_secret(name)
            && credential_words.contains(&v.as_str()))
}

/// Names under which `admin`, `root` or `password` is no secret: who someone is (a user
/// name, a login, a role), or which key of a Secret to read (`existingSecretKey: password`,
/// `passwordKey: password`). A user name alone is no credential; its password is.
fn names_no_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    let identity = [
        "USER",
        "USERNAME",
        "USER_NAME",
        "LOGIN",
        "ROLE",
        "_ID",
        "ACCOUNT",
        "OWNER",
    ];
    identity.iter().any(|w| n.ends_with(w))
        // camelCase `…Key`, `…Ref`, `…Name` and `existing…` name a Secret's key or the
        // Secret itself (Helm charts' idiom); SCREAMING_CASE `SECRET_KEY` is a value.
        || name.starts_with("existing")
        || ["Key", "Ref", "Name", "Field", "Store", "Type"].iter().any(|s| {
            name.strip_suffix(s)
                .and_then(|stem| stem.chars().last())
                .is_some_and(|c| c.is_ascii_lowercase())
        })
}

/// MC303
fn unused_secret(p: &Platform, out: &mut Findings) {
    for secret in &p.secrets {
        let used = p
            .services
            .iter()
            .flat_map(|s| &s.env)
            .chain(p.environments.iter().flat_map(|e| &e.services).flat_map(|o| &o.env))
            .any(|v| matches!(&v.value, EnvValue::Secret { secret: s, .. } if s.value == secret.name.value))
            || p.services.iter().any(|s| s.mounts_secret(&secret.name.value))
            || p.services
                .iter()
                .flat_map(|s| &s.patches)
                .chain(p.environments.iter().flat_map(|e| &e.services).flat_map(|o| &o.patches))
                .any(|patch| patch.names_secret(&secret.name.value));
        if !used {
            out.push(
                Finding::new(
                    "MC303",
                    format!("secret `{}` is never referenced", secret.name.value),
                )
                .at(secret.name.span, "declared, never used")
                .help("reference it with `env NAME secret=\"…\"`, mount it with `volume NAME \"/path\" secret=\"…\"`, or remove it"),
            );
        }
    }
}

/// MC401
fn unpinned_image(svc: &Service, out: &mut Findings) {
    let Some(image) = &svc.image else { return };
    let name_part = image.value.rsplit('/').next().unwrap_or(&image.value);
    let has_digest = image.value.contains('@');
    let tag = name_part.split_once(':').map(|(_, t)| t);
    let problem = match tag {
        _ if has_digest => None,
        None => Some("no tag: pulls whatever `latest` is today"),
        Some("latest") => Some("`:latest` moves under you"),
        Some(_) => None,
    };
    if let Some(problem) = problem {
        out.push(
            Finding::new("MC401", format!("image `{}` is not pinned", image.value))
                .at(image.span, problem)
                .help("pin a version tag or a digest"),
        );
    }
}

/// MC402
fn missing_health(svc: &Service, out: &mut Findings) {
    if svc.workload.value.is_long_running() && !svc.ports.is_empty() && svc.health.is_none() {
        let port = &svc.ports[0].name.value;
        out.push(
            Finding::new("MC402", format!("`{}` has no health probe", svc.name.value))
                .at(svc.name.span, "no `health`")
                .help(format!(
                    "add `health http=\"/healthz\" port={port}` or `health tcp={port}`"
                )),
        );
    }
}

/// MC403
fn missing_resources(p: &Platform, svc: &Service, out: &mut Findings) {
    if svc.resources.is_some() || p.defaults.resources.is_some() {
        return;
    }
    // A patch may size the container itself, or remove what maestroc would set: the warning
    // says what the pod really gets.
    let patched = svc
        .patches
        .iter()
        .find_map(|patch| container_resources(&patch.body).map(|v| (patch, v.is_null())));
    let label = match patched {
        Some((_, false)) => return,
        Some((patch, true)) => {
            out.push(
                Finding::new("MC403", format!("`{}` has no resources", svc.name.value))
                    .at(
                        patch.span,
                        "this patch removes them: the pod runs without requests or limits",
                    )
                    .help("size it: set `resources` on the service or once in `defaults`"),
            );
            return;
        }
        None => "gets maestroc's fallback: 100m/128Mi, limits 500m/512Mi",
    };
    out.push(
        Finding::new("MC403", format!("`{}` has no resources", svc.name.value))
            .at(svc.name.span, label)
            .help("size it: set `resources` here or once in `defaults`"),
    );
}

/// The `resources` a patch body gives a container (`null` when it removes them).
fn container_resources(body: &serde_json::Value) -> Option<&serde_json::Value> {
    match body {
        serde_json::Value::Object(m) => m.iter().find_map(|(k, v)| {
            if k == "containers" {
                v.as_array()?.iter().find_map(|c| c.get("resources"))
            } else {
                container_resources(v)
            }
        }),
        _ => None,
    }
}

/// An image reference names a registry host when its first path segment looks like one.
fn has_registry_host(image: &str) -> bool {
    match image.split_once('/') {
        Some((first, _)) => first.contains('.') || first.contains(':') || first == "localhost",
        None => false,
    }
}

/// MC404
fn pull_always_local_image(t: &Target<'_>, out: &mut Findings) {
    let Some(env) = t.env else { return };
    let Some(policy) = env
        .image_pull_policy
        .as_ref()
        .filter(|p| p.value == "Always")
    else {
        return;
    };
    for svc in t.platform.services.iter().filter(|s| t.runs(s)) {
        let Some(image) = t.image(svc) else { continue };
        // Without a registry host the image is either built locally or implicitly Docker
        // Hub's; spelling Hub images `docker.io/…` removes the ambiguity (and this warning).
        let local = !has_registry_host(image);
        if local {
            out.push(
                Finding::new(
                    "MC404",
                    format!("`{}` pulls the local image `{image}` with policy Always", svc.name.value),
                )
                .at(policy.span, format!("Always in `{}`", env.name.value))
                .help("use `image-pull-policy \"IfNotPresent\"` for locally built images; write Docker Hub images as `docker.io/…`"),
            );
        }
    }
}

/// MC405
fn volume_without_storage_class(t: &Target<'_>, out: &mut Findings) {
    let Some(env) = t.env else { return };
    if env.storage_class.is_some() {
        return;
    }
    let with_volume: Vec<&str> = t
        .platform
        .services
        .iter()
        // Only claims need a storage class: emptyDir, Secret, ConfigMap and hostPath volumes
        // have none to pick.
        .filter(|s| {
            t.runs(s)
                && s.volumes.iter().any(|v| v.claim_size().is_some())
                && s.workload.value != WorkloadKind::CronJob
        })
        .map(|s| s.name.value.as_str())
        .collect();
    if !with_volume.is_empty() {
        out.push(
            Finding::new(
                "MC405",
                format!(
                    "environment `{}` has volume claims ({}) but no storage-class",
                    env.name.value,
                    with_volume.join(", ")
                ),
            )
            .at(env.name.span, "no `storage-class`")
            .help("add e.g. `storage-class \"standard\"` (minikube) or `\"hostpath\"` (Docker Desktop)"),
        );
    }
}

/// MC106: a non-root process cannot bind below 1024 (a capability does not reach a non-root
/// process without file capabilities on the binary, so only root or another port helps).
fn privileged_port_non_root(p: &Platform, svc: &Service, out: &mut Findings) {
    let (uid, _, _) = svc.identity(p);
    if uid.is_none() || uid == Some(0) {
        return;
    }
    for port in svc.ports.iter().filter(|p| p.number.value.is_privileged()) {
        let mut f = Finding::new(
            "MC106",
            format!(
                "`{}` runs as a non-root user but listens on privileged port {}",
                svc.name.value, port.number.value
            ),
        )
        .at(port.number.span, "needs root to bind")
        .help(format!(
            "listen on an unprivileged port and keep {} for clients: `port {} 8080 service-port={}`",
            port.number.value, port.name.value, port.number.value
        ));
        if let Some(u) = &svc.identity.run_as_user {
            f = f.also(u.span, "non-root user");
        }
        out.push(f);
    }
}

/// MC406
fn root_user(svc: &Service, out: &mut Findings) {
    if svc.allowed(Privilege::Root).is_some() {
        return;
    }
    if let Some(uid) = svc.identity.run_as_user.as_ref().filter(|u| u.value == 0) {
        out.push(
            Finding::new("MC406", format!("`{}` runs as root", svc.name.value))
                .at(uid.span, "UID 0")
                .help("run as an unprivileged user (`run-as-user 10001`), or say why it needs root: `allow \"root\" reason=\"…\"`"),
        );
    }
}

/// MC409, and MC201 when the port is wrong: a literal `host:port` of a spec service. The host
/// must be the service's name, optionally followed by its namespace, `.svc` and the cluster
/// domain, so `redis:7` (an image tag of a service named redis) is only taken for an address
/// when 7 could be a port of it — a wrong port is reported only for a host with a dot or a
/// scheme, or a name alone whose port has as many digits as one of the service's.
fn literal_address(p: &Platform, value: &crate::model::Spanned<String>, out: &mut Findings) {
    static ADDRESS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = ADDRESS.get_or_init(|| {
        regex::Regex::new(
            r"(?:\b([a-z][a-z0-9+.-]*)://)?\b([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*):([0-9]{1,5})\b",
        )
        .unwrap_or_else(|_| unreachable!("a constant regex"))
    });
    for caps in re.captures_iter(&value.value) {
        let (Some(host), Some(port)) = (caps.get(2), caps.get(3)) else {
            continue;
        };
        let mut labels = host.as_str().splitn(2, '.');
        let name = labels.next().unwrap_or_default();
        let rest = labels.next();
        let Some(svc) = p
            .services
            .iter()
            .find(|s| s.name.value == name && !s.is_external())
        else {
            continue;
        };
        let ns = svc.namespace(p);
        let domain = &p.cluster_domain.value;
        let qualified = match rest {
            None => false,
            Some(r) => r == ns || r == format!("{ns}.svc") || r == format!("{ns}.svc.{domain}"),
        };
        if rest.is_some() && !qualified {
            continue;
        }
        let Ok(n) = port.as_str().parse::<u32>() else {
            continue;
        };
        let exposed: Vec<u32> = svc
            .ports
            .iter()
            .map(|x| u32::from(x.exposed().get()))
            .collect();
        // Inside the quoted value: skip the opening quote when the span includes it.
        let base = value.span.offset() + usize::from(value.span.len() >= value.value.len() + 2);
        let m = caps.get(0).map_or(host, |m| m);
        let span = miette::SourceSpan::new((base + m.start()).into(), m.len());
        let key = format!("{}_ADDRESS", crate::model::key_prefix(svc));
        // `{KEY}` says exactly this address when the port is the primary one and the scheme
        // the same: then replacing the literal changes nothing that runs.
        // For a wrong port (MC201) the replacement is the repair itself.
        let primary = svc.primary_port();
        let same_scheme = primary.is_some_and(|pp| {
            pp.scheme.as_ref().map(|s| s.value.as_str()) == caps.get(1).map(|c| c.as_str())
        });
        let to_key = |when: bool| {
            (when && same_scheme).then(|| Fix::Replace {
                span,
                was: m.as_str().to_string(),
                with: format!("{{{key}}}"),
            })
        };
        let fix = to_key(primary.is_some_and(|pp| u32::from(pp.exposed().get()) == n));
        if exposed.contains(&n) {
            let mut f = Finding::new(
                "MC409",
                format!("the address of `{}` is written out", svc.name.value),
            )
            .at(span, "a literal address")
            .help(format!(
                "use `ref=\"{key}\"`, or `{{{key}}}` inside the value, so the port comes from one place"
            ));
            f.fix = fix;
            out.push(f);
            continue;
        }
        let plausible = qualified
            || caps.get(1).is_some()
            || exposed
                .iter()
                .any(|e| e.to_string().len() == port.as_str().len());
        if plausible && n <= 65535 {
            let list = exposed
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let mut f = Finding::new(
                "MC201",
                format!(
                    "`{}` is dialled on port {n}, but its Service exposes {list}",
                    svc.name.value
                ),
            )
            .at(span, "wrong port")
            .help(format!(
                "use `{{{key}}}` inside the value (or `ref=\"{key}\"`) instead of a literal"
            ));
            f.fix = to_key(true);
            out.push(f);
        }
    }
}

/// MC408
fn privilege_without_reason(svc: &Service, out: &mut Findings) {
    for a in svc.allows.iter().filter(|a| a.reason.is_none()) {
        out.push(
            Finding::new(
                "MC408",
                format!(
                    "`{}` is allowed `{}` without a reason",
                    svc.name.value,
                    a.privilege.value.keyword()
                ),
            )
            .at(a.span, "no reason=")
            .help(format!(
                "say why: `allow \"{}\" reason=\"…\"`; the reason goes into the docs and the scanners' skip annotations",
                a.privilege.value.keyword()
            ))
            .fix(Fix::AddReason { node: a.span }),
        );
    }
}

/// The repository of an image reference: without `@digest` and without `:tag` (a `:` in the
/// last path segment; an earlier one is a registry port).
fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[last_slash..].find(':') {
        Some(i) => &no_digest[..last_slash + i],
        None => no_digest,
    }
}

/// MC407
fn image_repository_override(p: &Platform, out: &mut Findings) {
    for env in &p.environments {
        for o in &env.services {
            let (Some(img), Some(svc)) = (
                o.image.as_ref(),
                p.services.iter().find(|s| s.name.value == o.name.value),
            ) else {
                continue;
            };
            let Some(base) = &svc.image else { continue };
            if repository(&img.value) != repository(&base.value) {
                out.push(
                    Finding::new(
                        "MC407",
                        format!(
                            "`{}` runs `{}` in `{}` instead of `{}`",
                            svc.name.value,
                            repository(&img.value),
                            env.name.value,
                            repository(&base.value)
                        ),
                    )
                    .at(img.span, "another repository")
                    .also(base.span, "the service's image")
                    .help("override only the tag in an environment; a different program deserves its own service"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn repositories() {
        use super::repository;
        assert_eq!(repository("redis:7"), "redis");
        assert_eq!(
            repository("registry.local:5000/shop/api:2.1.0"),
            "registry.local:5000/shop/api"
        );
        assert_eq!(
            repository("registry.local:5000/shop/api"),
            "registry.local:5000/shop/api"
        );
        assert_eq!(repository("api@sha256:abc"), "api");
    }
}
