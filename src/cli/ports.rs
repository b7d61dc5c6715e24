//! `maestroc ports`: the allocation table; `allocate SERVICE PORT` picks the lowest free
//! NodePort and writes it into platform.kdl in place; with a shared registry
//! (`node-ports … registry=`) it also records it there, and `release`, `sync` and `status`
//! keep the registry and the spec in step.

use std::io::{IsTerminal, Write};

use super::input::{
    compile_spec, compile_spec_quiet, load_config, print_finding, print_findings, read_spec,
};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;
use crate::edit::{Allocation, allocate_node_port, release_node_port};
use crate::model::service_keys;
use crate::registry::{self, Lock, Registry};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct PortsArgs {
    /// The platform spec.
    #[arg(
        long,
        default_value = "platform.kdl",
        value_name = "FILE",
        global = true
    )]
    pub spec: std::path::PathBuf,
    #[command(subcommand)]
    pub action: Option<PortsAction>,
}

#[derive(Debug, clap::Subcommand)]
pub enum PortsAction {
    /// Pick the lowest free NodePort in the registry for SERVICE's port PORT and write it into
    /// the spec, comments and layout kept (and into the shared registry file, if any).
    Allocate { service: String, port: String },
    /// Remove SERVICE's port PORT's NodePort from the spec and from the shared registry.
    Release { service: String, port: String },
    /// Record every NodePort of the spec in the shared registry and drop this project's
    /// entries the spec no longer uses.
    Sync,
    /// Every project's allocations in the shared registry, and how many ports are free.
    Status,
}

pub fn run(args: &PortsArgs) -> u8 {
    match &args.action {
        None => table(args),
        Some(PortsAction::Allocate { service, port }) => allocate(args, service, port),
        Some(PortsAction::Release { service, port }) => release(args, service, port),
        Some(PortsAction::Sync) => sync(args),
        Some(PortsAction::Status) => status(args),
    }
}

fn table(args: &PortsArgs) -> u8 {
    let (compiled, _) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let p = &compiled.platform;
    let mut rows = vec![
        [
            "SERVICE",
            "PORT",
            "NUMBER",
            "SERVICE PORT",
            "NODEPORT",
            "NAMESPACE",
            "ADDRESS",
        ]
        .map(String::from),
    ];
    for &i in &compiled.graph.order {
        let svc = &p.services[i];
        let address = service_keys(p, svc)
            .into_iter()
            .find(|k| k.key.ends_with("_ADDRESS"))
            .map_or(String::new(), |k| k.value);
        for port in &svc.ports {
            let primary = svc.primary_port().is_some_and(|pp| std::ptr::eq(pp, port));
            rows.push([
                svc.name.value.clone(),
                port.name.value.clone(),
                port.number.value.to_string(),
                port.exposed().to_string(),
                port.node_port
                    .as_ref()
                    .map_or("-".into(), |n| n.value.to_string()),
                if svc.is_external() {
                    "(external)".into()
                } else {
                    svc.namespace(p).to_string()
                },
                if primary {
                    address.clone()
                } else {
                    String::new()
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let bold = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let line = line.join("  ").trim_end().to_string();
        if n == 0 && bold {
            out.push_str(&format!("\x1b[1m{line}\x1b[0m\n"));
        } else {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if let Some(r) = &p.node_ports {
        let used = p
            .services
            .iter()
            .flat_map(|s| &s.ports)
            .filter(|port| port.node_port.as_ref().is_some_and(|n| r.contains(n.value)))
            .count();
        let size = usize::from(r.high - r.low) + 1;
        out.push_str(&format!(
            "\nNodePort registry {}–{}: {used} used, {} free\n",
            r.low,
            r.high,
            size - used
        ));
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_OK
}

/// The registry file and its lock, when the spec names one. The lock is taken before the spec
/// is read, so the spec and the registry are read and written as one step.
fn shared_registry(args: &PortsArgs) -> Result<Option<(PathBuf, Lock, Registry)>, u8> {
    let source = read_spec(&args.spec).map_err(|f| {
        print_finding(*f);
        EXIT_INPUT
    })?;
    // Only the registry path is wanted here: parse without the full checks.
    let parsed = crate::spec::parse(&source.text);
    let Some(path) = parsed
        .platform
        .as_ref()
        .and_then(|p| registry::path_of(p, &args.spec))
    else {
        return Ok(None);
    };
    let lock = Lock::acquire(&path).map_err(|e| {
        print_finding(Finding::new(
            "MC091",
            format!("cannot lock the NodePort registry {}: {e}", path.display()),
        ));
        EXIT_INPUT
    })?;
    let reg = registry::load(&path).map_err(|f| {
        print_finding(f);
        EXIT_INPUT
    })?;
    Ok(Some((path, lock, reg)))
}

fn save(path: &Path, reg: &Registry, lock: &Lock) -> Result<(), u8> {
    registry::save(path, reg, lock).map_err(|e| {
        print_finding(Finding::new(
            "MC091",
            format!("cannot write the NodePort registry {}: {e}", path.display()),
        ));
        EXIT_INPUT
    })
}

fn allocate(args: &PortsArgs, service: &str, port: &str) -> u8 {
    let shared = match shared_registry(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let source = match read_spec(&args.spec) {
        Ok(s) => s,
        Err(f) => {
            print_finding(*f);
            return EXIT_INPUT;
        }
    };
    // An edit prints its edit and its errors, not the spec's warnings.
    let (compiled, _) =
        match load_config(&args.spec).and_then(|c| compile_spec_quiet(&args.spec, &c)) {
            Ok(c) => c,
            Err(code) => return code,
        };
    let p = &compiled.platform;
    let held = shared
        .as_ref()
        .map_or_else(Default::default, |(_, _, reg)| {
            reg.held_for(&p.name.value, service, port)
        });
    match allocate_node_port(&source.text, p, service, port, &held) {
        Ok(Allocation::Done { text, node_port }) => {
            // The lock is held until the spec is written: spec and registry change as one step.
            let _held_lock;
            if let Some((path, lock, mut reg)) = shared {
                // This port's old entry (a re-allocation) gives way to the new one.
                reg.allocations.retain(|a| {
                    !(a.project == p.name.value && a.service == service && a.port == port)
                });
                reg.allocations.push(registry::Allocation {
                    node_port,
                    project: p.name.value.clone(),
                    service: service.to_string(),
                    port: port.to_string(),
                    namespace: p
                        .services
                        .iter()
                        .find(|s| s.name.value == service)
                        .map_or(p.namespace.value.clone(), |s| s.namespace(p).to_string()),
                });
                reg.allocations.sort();
                if let Err(code) = save(&path, &reg, &lock) {
                    return code;
                }
                _held_lock = lock;
                widen_window_in_tests();
            }
            if let Err(e) = crate::output::replace_spec(&args.spec, &text) {
                print_finding(Finding::new("MC091", e.to_string()));
                return EXIT_INPUT;
            }
            println!(
                "{}: {service}/{port} gets node-port={node_port}; run `maestroc build` to regenerate output/",
                args.spec.display()
            );
            EXIT_OK
        }
        Ok(Allocation::Full { low, high }) => {
            eprintln!(
                "error: the NodePort registry {low}–{high} is full; widen `node-ports` or free a port"
            );
            EXIT_FINDINGS
        }
        Err(f) => {
            print_findings(&[f], &source);
            EXIT_INPUT
        }
    }
}

/// Test builds only: `MAESTROC_TEST_EDIT_DELAY_MS` sleeps between writing the registry and
/// writing the spec, widening the window a race would need (`tests/registry.rs`).
fn widen_window_in_tests() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("MAESTROC_TEST_EDIT_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn release(args: &PortsArgs, service: &str, port: &str) -> u8 {
    let shared = match shared_registry(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let source = match read_spec(&args.spec) {
        Ok(s) => s,
        Err(f) => {
            print_finding(*f);
            return EXIT_INPUT;
        }
    };
    let (held, text) = match release_node_port(&source.text, service, port) {
        Ok(r) => r,
        Err(f) => {
            print_findings(&[f], &source);
            return EXIT_INPUT;
        }
    };
    let project = crate::spec::parse(&source.text)
        .platform
        .map(|p| p.name.value)
        .unwrap_or_default();
    // Held until the spec is written, as in `allocate`.
    let _held_lock;
    if let Some((path, lock, mut reg)) = shared {
        reg.allocations
            .retain(|a| !(a.project == project && a.service == service && a.port == port));
        if let Err(code) = save(&path, &reg, &lock) {
            return code;
        }
        _held_lock = lock;
        widen_window_in_tests();
    }
    match held {
        Some(n) => {
            if let Err(e) = crate::output::replace_spec(&args.spec, &text) {
                print_finding(Finding::new("MC091", e.to_string()));
                return EXIT_INPUT;
            }
            println!(
                "{}: {service}/{port} releases NodePort {n}; run `maestroc build` to regenerate output/",
                args.spec.display()
            );
        }
        None => println!("{service}/{port} has no NodePort; nothing to release"),
    }
    EXIT_OK
}

/// `sync` and `status` need the spec to name a shared registry.
fn no_shared_registry() -> u8 {
    eprintln!(
        "error: the spec names no shared registry; write `node-ports LO HI registry=\"ports.json\"`"
    );
    EXIT_INPUT
}

fn sync(args: &PortsArgs) -> u8 {
    let Some((path, lock, mut reg)) = (match shared_registry(args) {
        Ok(s) => s,
        Err(code) => return code,
    }) else {
        return no_shared_registry();
    };
    let (compiled, _) =
        match load_config(&args.spec).and_then(|c| compile_spec_quiet(&args.spec, &c)) {
            Ok(c) => c,
            Err(code) => return code,
        };
    let clashes = reg.record(&compiled.platform);
    if let Err(code) = save(&path, &reg, &lock) {
        return code;
    }
    let mine = reg
        .allocations
        .iter()
        .filter(|a| a.project == compiled.platform.name.value)
        .count();
    println!(
        "{}: {mine} NodePort(s) of `{}` recorded",
        path.display(),
        compiled.platform.name.value
    );
    if clashes.is_empty() {
        EXIT_OK
    } else {
        eprintln!(
            "error: NodePort(s) {clashes:?} are held by other projects and were not recorded; `maestroc check` shows where"
        );
        EXIT_FINDINGS
    }
}

fn status(args: &PortsArgs) -> u8 {
    let (compiled, _) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let p = &compiled.platform;
    let Some(path) = registry::path_of(p, &args.spec) else {
        return no_shared_registry();
    };
    let reg = match registry::load(&path) {
        Ok(r) => r,
        Err(f) => {
            print_finding(f);
            return EXIT_INPUT;
        }
    };
    let mut out = format!("{}\n", path.display());
    out.push_str("NODEPORT  PROJECT / SERVICE / PORT (NAMESPACE)\n");
    for a in &reg.allocations {
        out.push_str(&format!(
            "{:<8}  {} / {} / {} ({})\n",
            a.node_port, a.project, a.service, a.port, a.namespace
        ));
    }
    if let Some(range) = &p.node_ports {
        out.push_str(&format!(
            "\n{}–{}: {} free for `{}`\n",
            range.low,
            range.high,
            registry::free_count(p, &reg, range),
            p.name.value
        ));
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_OK
}
