//! `maestroc ports`: the allocation table; `maestroc ports allocate SERVICE PORT` picks the
//! lowest free NodePort of the registry and writes it into platform.kdl in place.

use std::io::{IsTerminal, Write};

use super::input::{compile_spec, load_config, print_finding, print_findings, read_spec};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;
use crate::edit::{Allocation, allocate_node_port};
use crate::model::service_keys;

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
    /// the spec, comments and layout kept.
    Allocate { service: String, port: String },
}

pub fn run(args: &PortsArgs) -> u8 {
    match &args.action {
        None => table(args),
        Some(PortsAction::Allocate { service, port }) => allocate(args, service, port),
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

fn allocate(args: &PortsArgs, service: &str, port: &str) -> u8 {
    let source = match read_spec(&args.spec) {
        Ok(s) => s,
        Err(f) => {
            print_finding(*f);
            return EXIT_INPUT;
        }
    };
    let (compiled, _) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match allocate_node_port(
        &source.text,
        &compiled.platform,
        service,
        port,
        &Default::default(),
    ) {
        Ok(Allocation::Done { text, node_port }) => {
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
