//! In-place edits of `platform.kdl` that keep comments and layout: kdl preserves the format of
//! every node it is not asked to change. Spans go stale after an edit, so each edit parses the
//! text afresh.

use kdl::{KdlDocument, KdlEntry};

use crate::diagnostic::Finding;
use crate::model::Platform;
use crate::spec::did_you_mean;

/// The outcome of a NodePort allocation.
#[derive(Debug)]
pub enum Allocation {
    /// The new spec text and the port picked.
    Done { text: String, node_port: u16 },
    /// Nothing free in the registry.
    Full { low: u16, high: u16 },
}

/// Picks the lowest NodePort in the registry that no port uses and no other project holds
/// (`held_elsewhere`, from the shared registry file) and writes `node-port=N` on `service`'s
/// port `port_name`. `platform` must be the compiled model of `text`.
// One call, one possible finding: the size of the error does not matter here.
#[allow(clippy::result_large_err)]
pub fn allocate_node_port(
    text: &str,
    platform: &Platform,
    service: &str,
    port_name: &str,
    held_elsewhere: &std::collections::BTreeSet<u16>,
) -> Result<Allocation, Finding> {
    let Some(range) = platform.node_ports.as_ref() else {
        return Err(
            Finding::new("MC005", "the platform declares no NodePort registry")
                .at(platform.name.span, "no `node-ports` in this block")
                .help("add `node-ports 30500 30999` to the platform block"),
        );
    };
    let Some(svc) = platform.services.iter().find(|s| s.name.value == service) else {
        let mut f = Finding::new("MC007", format!("unknown service: `{service}`"));
        if let Some(s) = did_you_mean(
            service,
            platform.services.iter().map(|s| s.name.value.as_str()),
        ) {
            f = f.help(format!("did you mean `{s}`?"));
        }
        return Err(f);
    };
    let Some(port) = svc.ports.iter().find(|p| p.name.value == port_name) else {
        let mut f = Finding::new("MC007", format!("`{service}` has no port `{port_name}`"))
            .at(svc.name.span, "declared here");
        if let Some(s) = did_you_mean(port_name, svc.ports.iter().map(|p| p.name.value.as_str())) {
            f = f.help(format!("did you mean `{s}`?"));
        }
        return Err(f);
    };
    if svc.is_external() {
        return Err(Finding::new(
            "MC004",
            format!("`{service}` is external: it has no Service to expose"),
        )
        .at(svc.name.span, "external"));
    }
    if let Some(np) = &port.node_port {
        return Err(Finding::new(
            "MC004",
            format!("`{service}/{port_name}` already has NodePort {}", np.value),
        )
        .at(np.span, "already allocated")
        .help("remove `node-port=` first to pick a new one"));
    }
    let used: std::collections::HashSet<u16> = platform
        .services
        .iter()
        .flat_map(|s| &s.ports)
        .filter_map(|p| p.node_port.as_ref().map(|n| n.value))
        .chain(
            platform
                .environments
                .iter()
                .flat_map(|e| &e.services)
                .flat_map(|o| o.node_ports.iter().map(|(_, n)| n.value)),
        )
        .collect();
    let Some(free) =
        (range.low..=range.high).find(|n| !used.contains(n) && !held_elsewhere.contains(n))
    else {
        return Ok(Allocation::Full {
            low: range.low,
            high: range.high,
        });
    };
    let mut doc = parse(text)?;
    let Some(port_node) = port_node_mut(&mut doc, service, port_name) else {
        return Err(Finding::new(
            "MC007",
            format!("`{service}/{port_name}` not found in the text"),
        ));
    };
    port_node.push(KdlEntry::new_prop("node-port", i128::from(free)));
    Ok(Allocation::Done {
        text: doc.to_string(),
        node_port: free,
    })
}

/// Removes `node-port=` from `service`'s port `port_name`; the NodePort it held, if any, and
/// the new text.
#[allow(clippy::result_large_err)]
pub fn release_node_port(
    text: &str,
    service: &str,
    port_name: &str,
) -> Result<(Option<u16>, String), Finding> {
    let mut doc = parse(text)?;
    let Some(port_node) = port_node_mut(&mut doc, service, port_name) else {
        return Err(Finding::new(
            "MC007",
            format!("the spec has no port `{port_name}` on a service `{service}`"),
        )
        .help("`maestroc ports` lists every service's ports"));
    };
    let held = port_node
        .entries()
        .iter()
        .find(|e| e.name().is_some_and(|n| n.value() == "node-port"))
        .and_then(|e| e.value().as_integer())
        .and_then(|n| u16::try_from(n).ok());
    port_node
        .entries_mut()
        .retain(|e| e.name().is_none_or(|n| n.value() != "node-port"));
    Ok((held, doc.to_string()))
}

fn port_node_mut<'d>(
    doc: &'d mut KdlDocument,
    service: &str,
    port_name: &str,
) -> Option<&'d mut kdl::KdlNode> {
    doc.nodes_mut()
        .iter_mut()
        .filter(|n| n.name().value() == "service")
        .find(|n| n.entries().first().and_then(|e| e.value().as_string()) == Some(service))
        .and_then(|n| n.children_mut().as_mut())
        .and_then(|children| {
            children.nodes_mut().iter_mut().find(|n| {
                n.name().value() == "port"
                    && n.entries().first().and_then(|e| e.value().as_string()) == Some(port_name)
            })
        })
}

/// The document, format-preserving; depth is bounded first, as for every reader.
#[allow(clippy::result_large_err)]
fn parse(text: &str) -> Result<KdlDocument, Finding> {
    if let Some(f) = crate::spec::check_depth(text) {
        return Err(f);
    }
    text.parse()
        .map_err(|_| Finding::new("MC001", "platform.kdl does not parse"))
}
