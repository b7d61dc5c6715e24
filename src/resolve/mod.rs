//! Cross-checks the parsed model: names, references, ports, environments. Everything that needs
//! more than one node to decide lives here; every problem found is collected, none stops the
//! walk.

use std::collections::HashMap;

use miette::SourceSpan;

use crate::config::Config;
use crate::diagnostic::{Finding, Findings, Fix};
use crate::graph::{self, DepGraph};
use crate::model::*;
use crate::spec::{self, did_you_mean};
use crate::target::Target;

pub mod files;
mod operations;
mod pod;

/// A spec that passed every check: ready for the emitters.
#[derive(Debug)]
pub struct Compiled {
    pub platform: Platform,
    pub graph: DepGraph,
}

/// Parses and checks `text` with default rule levels. Returns the compiled platform only when
/// there are no errors; findings (warnings included) either way.
pub fn compile(text: &str) -> (Option<Compiled>, Findings) {
    compile_with(text, &Config::default())
}

/// As [`compile`], with the rule levels of a `maestroc.toml` applied before deciding whether
/// the spec has errors.
pub fn compile_with(text: &str, config: &Config) -> (Option<Compiled>, Findings) {
    compile_from(text, config, &files::no_files)
}

/// As [`compile_with`], reading the files the spec names (`patch file=`, `extra`) through
/// `loader`.
pub fn compile_from(
    text: &str,
    config: &Config,
    loader: files::Loader<'_>,
) -> (Option<Compiled>, Findings) {
    let parsed = spec::parse(text);
    let mut out = parsed.findings;
    let Some(mut platform) = parsed.platform else {
        return (None, config.apply(out));
    };
    files::load(&mut platform, loader, &mut out);
    if let Some(doc) = &parsed.document {
        crate::lint::credentials::document(text, doc, &mut out);
    }
    check(&platform, &mut out);
    crate::lint::run(&platform, &mut out);
    let graph = graph::build(&platform, &mut out);
    if let Some(graph) = &graph
        && !out.has_errors()
    {
        check_patches(&platform, graph, &mut out);
    }
    let out = config.apply(out);
    match graph {
        Some(graph) if !out.has_errors() => (Some(Compiled { platform, graph }), out),
        _ => (None, out),
    }
}

/// MC014: a `patch` is proved by merging it into the object it patches, so the services that
/// have one are emitted here, in every environment: a spec that compiles then always emits.
fn check_patches(p: &Platform, graph: &DepGraph, out: &mut Findings) {
    for t in Target::all(p) {
        for (i, svc) in p.services.iter().enumerate() {
            if !t.runs(svc) || t.patches(svc).is_empty() {
                continue;
            }
            let (on, by) = graph.neighbours(p, i);
            if let Err(e) = crate::emit::workload::service_file(&t, svc, &on, &by) {
                let Some(f) = e.findings.into_iter().next() else {
                    continue;
                };
                // The same patch fails the same way in every environment: say it once.
                if !out
                    .iter()
                    .any(|x| x.code() == "MC014" && x.message == f.message)
                {
                    out.push(f);
                }
            }
        }
    }
}

fn check(p: &Platform, out: &mut Findings) {
    unique(p.services.iter().map(|s| &s.name), "service", out);
    unique(p.secrets.iter().map(|s| &s.name), "secret", out);
    unique(p.environments.iter().map(|e| &e.name), "environment", out);
    unique(
        p.defaults.values.iter().map(|(k, _)| k),
        "default value",
        out,
    );
    let services: HashMap<&str, &Service> = p
        .services
        .iter()
        .map(|s| (s.name.value.as_str(), s))
        .collect();
    let keys = config_keys(p, out);
    for svc in &p.services {
        check_service(p, svc, &services, &keys, out);
    }
    check_node_ports(p, out);
    pod::requests_within_limits(p, out);
    for svc in &p.services {
        let env_patches = p
            .environments
            .iter()
            .flat_map(|e| &e.services)
            .filter(|o| o.name.value == svc.name.value)
            .flat_map(|o| &o.patches);
        for patch in svc.patches.iter().chain(env_patches) {
            pod::check_patch_kind(p, svc, patch, out);
        }
    }
    operations::check(p, &services, out);
    operations::check_gitops(p, out);
    pod::check_short_addresses(p, &services, out);
    for env in &p.environments {
        check_environment(p, env, &services, &keys, out);
    }
}

fn unique<'a>(names: impl Iterator<Item = &'a Spanned<String>>, what: &str, out: &mut Findings) {
    let mut seen: HashMap<&str, SourceSpan> = HashMap::new();
    for n in names {
        if let Some(first) = seen.get(n.value.as_str()) {
            out.push(
                Finding::new("MC006", format!("{what} `{}` is declared twice", n.value))
                    .at(n.span, "declared again here")
                    .also(*first, "first declared here")
                    .help(format!("rename or remove one of the two {what}s")),
            );
        } else {
            seen.insert(&n.value, n.span);
        }
    }
}

/// Every `service-ports` key, checked for collisions between services.
fn config_keys<'a>(
    p: &'a Platform,
    out: &mut Findings,
) -> HashMap<String, (&'a Service, SourceSpan)> {
    let mut keys: HashMap<String, (&Service, SourceSpan)> = HashMap::new();
    for svc in &p.services {
        for k in service_keys(p, svc) {
            match keys.get(&k.key) {
                Some((other, span)) if other.name.value != svc.name.value => {
                    out.push(
                        Finding::new(
                            "MC006",
                            format!(
                                "`{}` and `{}` both publish the ConfigMap key {}",
                                other.name.value, svc.name.value, k.key
                            ),
                        )
                        .at(k.span, format!("{} from `{}`", k.key, svc.name.value))
                        .also(*span, format!("{} from `{}`", k.key, other.name.value))
                        .help("set `config-prefix` on one of the services to move its keys"),
                    );
                }
                Some(_) => {}
                None => {
                    keys.insert(k.key, (svc, k.span));
                }
            }
        }
    }
    keys
}

fn unknown_ref<'a>(
    what: &str,
    name: &Spanned<String>,
    known: impl IntoIterator<Item = &'a str>,
) -> Finding {
    unknown_ref_as("MC007", what, name, known)
}

fn unknown_ref_as<'a>(
    code: &str,
    what: &str,
    name: &Spanned<String>,
    known: impl IntoIterator<Item = &'a str>,
) -> Finding {
    let f = Finding::new(code, format!("unknown {what}: `{}`", name.value))
        .at(name.span, format!("no {what} of that name"));
    match did_you_mean(&name.value, known) {
        Some(s) => f.help(format!("did you mean `{s}`?")),
        None => f.help(format!("declare the {what}, or fix the name")),
    }
}

fn check_service(
    p: &Platform,
    svc: &Service,
    services: &HashMap<&str, &Service>,
    keys: &HashMap<String, (&Service, SourceSpan)>,
    out: &mut Findings,
) {
    let name = &svc.name.value;
    if svc.is_external() {
        if let Some(image) = &svc.image {
            out.push(
                Finding::new("MC004", format!("external service `{name}` has an image"))
                    .at(image.span, "never deployed")
                    .help("an external service only publishes its address; remove `image` or `external`"),
            );
        }
        if svc.ports.is_empty() {
            out.push(
                Finding::new(
                    "MC005",
                    format!("external service `{name}` declares no port"),
                )
                .at(svc.name.span, "no address can be published")
                .help("add the port clients dial, e.g. `port client 10001`"),
            );
        }
    } else if svc.image.is_none() {
        out.push(
            Finding::new("MC005", format!("service `{name}` has no image"))
                .at(svc.name.span, "no `image` in this service")
                .help(
                    "add `image \"registry/name:tag\"`, or `external host=…` if it runs elsewhere",
                ),
        );
    }
    // Ports: unique numbers and names, at most one primary.
    let mut by_name: HashMap<&str, SourceSpan> = HashMap::new();
    let mut by_number: HashMap<PortNumber, SourceSpan> = HashMap::new();
    let mut by_service_port: HashMap<PortNumber, SourceSpan> = HashMap::new();
    let mut primary: Option<SourceSpan> = None;
    for port in &svc.ports {
        if let Some(first) = by_name.insert(&port.name.value, port.name.span) {
            out.push(
                Finding::new(
                    "MC101",
                    format!("port name `{}` is used twice in `{name}`", port.name.value),
                )
                .at(port.name.span, "second port of this name")
                .also(first, "first one")
                .help("give each port its own name"),
            );
        }
        if let Some(first) = by_number.insert(port.number.value, port.number.span) {
            out.push(
                Finding::new(
                    "MC101",
                    format!("port {} is used twice in `{name}`", port.number.value),
                )
                .at(port.number.span, "second port with this number")
                .also(first, "first one")
                .help("two listeners cannot bind one port: give each its own number"),
            );
        }
        let exposed = port.exposed();
        let span = port
            .service_port
            .as_ref()
            .map_or(port.number.span, |s| s.span);
        if let Some(first) = by_service_port.insert(exposed, span)
            && port.service_port.is_some()
        {
            out.push(
                Finding::new(
                    "MC101",
                    format!("Service port {exposed} is used twice in `{name}`"),
                )
                .at(span, "second Service port with this number")
                .also(first, "first one")
                .help("each Service port needs its own number"),
            );
        }
        if port.primary {
            if let Some(first) = primary {
                out.push(
                    Finding::new("MC004", format!("`{name}` has two primary ports"))
                        .at(port.span, "second primary=#true")
                        .also(first, "first one")
                        .help("the ADDRESS key uses one primary port; keep one primary=#true"),
                );
            }
            primary = Some(port.span);
        }
        if svc.is_external() && (port.node_port.is_some() || port.service_port.is_some()) {
            out.push(
                Finding::new(
                    "MC004",
                    format!("external service `{name}` cannot expose ports"),
                )
                .at(
                    port.span,
                    "node-port= / service-port= need a Service maestroc deploys",
                )
                .help("remove node-port= and service-port= from external services"),
            );
        }
    }
    // Workload shape.
    let kind = svc.workload.value;
    if kind == WorkloadKind::CronJob && svc.schedule.is_none() && !svc.is_external() {
        out.push(
            Finding::new("MC005", format!("cronjob `{name}` has no schedule"))
                .at(svc.workload.span, "needs `schedule`")
                .help("add e.g. `schedule \"0 3 * * *\"`"),
        );
    }
    if let Some(schedule) = &svc.schedule {
        if kind != WorkloadKind::CronJob {
            out.push(
                Finding::new(
                    "MC004",
                    format!("`{name}` has a schedule but is not a cronjob"),
                )
                .at(schedule.span, "only cronjobs run on a schedule")
                .help("add `workload \"cronjob\"` or remove `schedule`"),
            );
        } else if schedule.value.split_whitespace().count() != 5 && !schedule.value.starts_with('@')
        {
            out.push(
                Finding::new(
                    "MC004",
                    format!("`{}` is not a cron schedule", schedule.value),
                )
                .at(schedule.span, "expected five fields")
                .help("write minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\""),
            );
        }
    }
    if let Some(health) = &svc.health {
        if !kind.is_long_running() {
            out.push(
                Finding::new(
                    "MC004",
                    format!("`{name}` is a batch workload with a health probe"),
                )
                .at(svc.workload.span, "jobs run to completion")
                .help("remove `health`: probes are for long-running workloads"),
            );
        }
        if let Some(port) = health.port()
            && !svc.ports.iter().any(|p| p.name.value == port.value)
        {
            out.push(unknown_ref(
                "port",
                port,
                svc.ports.iter().map(|p| p.name.value.as_str()),
            ))
        }
    }
    if !kind.has_replicas()
        && let Some(r) = &svc.replicas
    {
        let (what, why) = if kind == WorkloadKind::DaemonSet {
            ("a daemonset", "one pod per node")
        } else {
            ("a batch workload", "jobs have no replicas")
        };
        out.push(
            Finding::new("MC004", format!("`{name}` is {what} with replicas"))
                .at(r.span, why)
                .help("remove `replicas`"),
        );
    }
    if kind == WorkloadKind::DaemonSet {
        for v in &svc.volumes {
            if let Some(size) = v.claim_size() {
                out.push(
                    Finding::new(
                        "MC004",
                        format!("daemonset `{name}` has a claim `{}`", v.name.value),
                    )
                    .at(
                        size.span,
                        "one ReadWriteOnce claim cannot follow a pod onto every node",
                    )
                    .help("use `empty-dir=#true`, or `host-path=` with `allow \"host-path\"`"),
                );
            }
        }
    }
    // Dependencies.
    for dep in &svc.depends_on {
        if dep.value == *name {
            out.push(
                Finding::new("MC010", format!("`{name}` depends on itself"))
                    .at(dep.span, "its own name")
                    .help("remove it from depends-on"),
            );
        } else if !services.contains_key(dep.value.as_str()) {
            out.push(unknown_ref("service", dep, services.keys().copied()));
        }
    }
    // Env vars: references resolve, names don't collide with the injected keys.
    let injected = injected_keys(p, svc, services);
    for var in &svc.env {
        check_env_var(p, var, keys, out);
        pod::check_placeholders(svc, var, keys, &injected, out);
        if injected.contains(&var.name.value) {
            out.push(injected_collision(var));
        }
    }
    pod::check_pod(p, svc, out);
    for word in svc.command.iter().chain(&svc.args) {
        pod::check_placeholders_in(svc, word, keys, &injected, out);
    }
    for c in svc.init_containers.iter().chain(&svc.sidecars) {
        for var in &c.env {
            check_env_var(p, var, keys, out);
            pod::check_placeholders(svc, var, keys, &injected, out);
        }
        for word in c.command.iter().chain(&c.args) {
            pod::check_placeholders_in(svc, word, keys, &injected, out);
        }
    }
}

/// The `service-ports` keys a workload receives without asking: its own and its dependencies'.
pub fn injected_keys(
    p: &Platform,
    svc: &Service,
    services: &HashMap<&str, &Service>,
) -> Vec<String> {
    let mut keys: Vec<String> = service_keys(p, svc).into_iter().map(|k| k.key).collect();
    for dep in &svc.depends_on {
        if let Some(d) = services.get(dep.value.as_str()) {
            keys.extend(service_keys(p, d).into_iter().map(|k| k.key));
        }
    }
    keys
}

fn injected_collision(var: &EnvVar) -> Finding {
    Finding::new(
        "MC006",
        format!("env `{}` collides with a key maestroc injects", var.name.value),
    )
    .at(var.name.span, "already provided from service-ports")
    .help("the workload receives this variable from the service-ports ConfigMap; remove the env line or rename it")
}

fn check_env_var(
    p: &Platform,
    var: &EnvVar,
    keys: &HashMap<String, (&Service, SourceSpan)>,
    out: &mut Findings,
) {
    match &var.value {
        EnvValue::Literal(_) | EnvValue::Field(_) => {}
        EnvValue::Ref(key) => {
            if !keys.contains_key(&key.value) {
                let mut known: Vec<&str> = keys.keys().map(String::as_str).collect();
                known.sort_unstable();
                out.push(unknown_ref("service-ports key", key, known));
            }
        }
        EnvValue::Secret { secret, key, .. } => {
            match p.secrets.iter().find(|s| s.name.value == secret.value) {
                None => out.push(unknown_ref(
                    "secret",
                    secret,
                    p.secrets.iter().map(|s| s.name.value.as_str()),
                )),
                Some(s) => {
                    if !s.keys.iter().any(|k| k.value == key.value) {
                        out.push(
                            unknown_ref_as(
                                "MC304",
                                &format!("key of secret `{}`", s.name.value),
                                key,
                                s.keys.iter().map(|k| k.value.as_str()),
                            )
                            .also(s.name.span, "secret declared here"),
                        );
                    }
                }
            }
        }
    }
}

/// MC104 for a NodePort outside the platform's registry, if it declares one.
fn outside_registry(p: &Platform, np: &Spanned<u16>) -> Option<Finding> {
    let range = p.node_ports.as_ref()?;
    (!range.contains(np.value)).then(|| {
        Finding::new(
            "MC104",
            format!(
                "NodePort {} is outside the platform's registry {}–{}",
                np.value, range.low, range.high
            ),
        )
        .at(np.span, "outside the registry")
        .also(range.span, "registry declared here")
        .help("pick a free port inside the registry (`maestroc ports` lists them)")
    })
}

fn check_node_ports(p: &Platform, out: &mut Findings) {
    let mut used: HashMap<u16, (&Service, &Port)> = HashMap::new();
    for svc in &p.services {
        for port in &svc.ports {
            let Some(np) = &port.node_port else { continue };
            out.extend(outside_registry(p, np));
            if let Some((other, other_port)) = used.get(&np.value) {
                let other_span = other_port
                    .node_port
                    .as_ref()
                    .map_or(other_port.span, |n| n.span);
                out.push(
                    Finding::new(
                        "MC105",
                        format!(
                            "NodePort {} is claimed by `{}` and `{}`",
                            np.value, other.name.value, svc.name.value
                        ),
                    )
                    .at(np.span, format!("{}/{}", svc.name.value, port.name.value))
                    .also(
                        other_span,
                        format!("{}/{}", other.name.value, other_port.name.value),
                    )
                    .help("give one of them the next free port in the registry")
                    .fix(Fix::AllocateNodePort {
                        service: svc.name.value.clone(),
                        port: port.name.value.clone(),
                    }),
                );
            } else {
                used.insert(np.value, (svc, port));
            }
        }
    }
}

/// A NodePort an environment assigns must not collide, in that environment, with any other.
fn env_node_port_collisions(p: &Platform, env: &Environment, t: &Target<'_>, out: &mut Findings) {
    for o in &env.services {
        for (port_name, n) in &o.node_ports {
            for svc in p.services.iter().filter(|s| t.enabled(s)) {
                for port in &svc.ports {
                    let same = svc.name.value == o.name.value && port.name.value == port_name.value;
                    if !same && t.node_port(svc, port) == Some(n.value) {
                        out.push(
                            Finding::new(
                                "MC105",
                                format!(
                                    "NodePort {} is claimed by `{}` and `{}` in `{}`",
                                    n.value, o.name.value, svc.name.value, env.name.value
                                ),
                            )
                            .at(n.span, format!("{}/{}", o.name.value, port_name.value))
                            .also(port.span, format!("{}/{}", svc.name.value, port.name.value))
                            .help("give one of them the next free port in the registry"),
                        );
                    }
                }
            }
        }
    }
}

fn check_environment(
    p: &Platform,
    env: &Environment,
    services: &HashMap<&str, &Service>,
    keys: &HashMap<String, (&Service, SourceSpan)>,
    out: &mut Findings,
) {
    unique(
        env.services.iter().map(|o| &o.name),
        "environment override",
        out,
    );
    for (k, _) in &env.values {
        if !p.defaults.values.iter().any(|(dk, _)| dk.value == k.value) {
            out.push(unknown_ref(
                "default value",
                k,
                p.defaults.values.iter().map(|(dk, _)| dk.value.as_str()),
            ));
        }
    }
    for o in &env.services {
        let Some(svc) = services.get(o.name.value.as_str()) else {
            out.push(unknown_ref("service", &o.name, services.keys().copied()));
            continue;
        };
        if svc.is_external()
            && (o.replicas.is_some()
                || o.image.is_some()
                || o.resources.is_some()
                || !o.env.is_empty()
                || !o.node_ports.is_empty())
        {
            out.push(
                Finding::new(
                    "MC004",
                    format!("`{}` is external and cannot be overridden", svc.name.value),
                )
                .at(o.name.span, "nothing of it is deployed")
                .help("only `enabled=` applies to an external service"),
            );
        }
        if let (Some(r), false) = (&o.replicas, svc.workload.value.has_replicas()) {
            out.push(
                Finding::new(
                    "MC004",
                    format!("`{}` is a batch workload with replicas", svc.name.value),
                )
                .at(r.span, "jobs have no replicas")
                .help("remove `replicas`"),
            );
        }
        for (port, n) in &o.node_ports {
            if !svc.ports.iter().any(|x| x.name.value == port.value) {
                out.push(unknown_ref(
                    &format!("port of `{}`", svc.name.value),
                    port,
                    svc.ports.iter().map(|x| x.name.value.as_str()),
                ));
            }
            out.extend(outside_registry(p, n));
        }
        let injected = injected_keys(p, svc, services);
        for var in &o.env {
            check_env_var(p, var, keys, out);
            pod::check_placeholders(svc, var, keys, &injected, out);
            if injected.contains(&var.name.value) {
                out.push(injected_collision(var));
            }
        }
    }
    // An enabled service must not depend on a disabled one.
    let target = Target {
        platform: p,
        env: Some(env),
    };
    env_node_port_collisions(p, env, &target, out);
    for svc in &p.services {
        if !target.enabled(svc) {
            continue;
        }
        for dep in &svc.depends_on {
            if let Some(d) = services.get(dep.value.as_str())
                && !target.enabled(d)
            {
                let off = env
                    .services
                    .iter()
                    .find(|o| o.name.value == d.name.value)
                    .and_then(|o| o.enabled.as_ref())
                    .map_or(env.span, |e| e.span);
                out.push(
                    Finding::new(
                        "MC012",
                        format!(
                            "`{}` depends on `{}`, which is disabled in `{}`",
                            svc.name.value, d.name.value, env.name.value
                        ),
                    )
                    .at(dep.span, "this dependency")
                    .also(off, "disabled here")
                    .help(format!(
                        "disable `{}` in `{}` too, or keep `{}` enabled",
                        svc.name.value, env.name.value, d.name.value
                    )),
                );
            }
        }
    }
}
