//! The shared NodePort registry: a JSON file (`schemas/port-registry.v1.schema.json`) that
//! every project on one cluster consults, named by `node-ports LO HI registry="…"` relative to
//! the spec. `check` compares the platform with it (MC109, MC110); `ports allocate|release|sync`
//! change it under an exclusive lock, written whole and atomically, so two projects allocating
//! at the same moment get different ports.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Finding, Findings};
use crate::model::{NodePortRange, Platform};

/// The file as written: a version and one entry per allocated NodePort, sorted by port.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    pub version: u32,
    pub allocations: Vec<Allocation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Allocation {
    pub node_port: u16,
    pub project: String,
    pub service: String,
    pub port: String,
    pub namespace: String,
}

impl Registry {
    pub const VERSION: u32 = 1;

    /// Ports another project holds.
    pub fn held_by_others(&self, project: &str) -> BTreeSet<u16> {
        self.allocations
            .iter()
            .filter(|a| a.project != project)
            .map(|a| a.node_port)
            .collect()
    }

    /// Ports an allocation for `project`'s `service/port` may not take: every one the
    /// registry records — this project's own entries too, until the spec is written (a
    /// concurrent allocation of the same project may hold one the spec on disk does not show
    /// yet) — except this very port's own entry.
    pub fn held_for(&self, project: &str, service: &str, port: &str) -> BTreeSet<u16> {
        self.allocations
            .iter()
            .filter(|a| !(a.project == project && a.service == service && a.port == port))
            .map(|a| a.node_port)
            .collect()
    }

    /// This platform's NodePorts (every environment's) replace its entries; other projects'
    /// stay. Returns the ports another project already holds, which are not recorded.
    pub fn record(&mut self, p: &Platform) -> Vec<u16> {
        let project = p.name.value.as_str();
        let others = self.held_by_others(project);
        self.allocations.retain(|a| a.project != project);
        let mut clashes = Vec::new();
        for (svc, port, n) in used_node_ports(p) {
            if others.contains(&n) {
                clashes.push(n);
                continue;
            }
            let entry = Allocation {
                node_port: n,
                project: project.to_string(),
                service: svc.to_string(),
                port: port.to_string(),
                namespace: namespace_of(p, svc),
            };
            if !self.allocations.contains(&entry) {
                self.allocations.push(entry);
            }
        }
        self.allocations.sort();
        clashes
    }
}

fn namespace_of(p: &Platform, service: &str) -> String {
    p.services
        .iter()
        .find(|s| s.name.value == service)
        .map_or(p.namespace.value.clone(), |s| s.namespace(p).to_string())
}

/// (service, port, NodePort) of every NodePort the spec gives, in any environment, with the
/// span that says it.
fn used_node_ports_spanned(p: &Platform) -> Vec<(&str, &str, u16, miette::SourceSpan)> {
    let mut out = Vec::new();
    for svc in p.services.iter().filter(|s| !s.is_external()) {
        for port in &svc.ports {
            if let Some(n) = &port.node_port {
                out.push((
                    svc.name.value.as_str(),
                    port.name.value.as_str(),
                    n.value,
                    n.span,
                ));
            }
        }
    }
    for env in &p.environments {
        for o in &env.services {
            for (port, n) in &o.node_ports {
                out.push((o.name.value.as_str(), port.value.as_str(), n.value, n.span));
            }
        }
    }
    out
}

fn used_node_ports(p: &Platform) -> Vec<(&str, &str, u16)> {
    used_node_ports_spanned(p)
        .into_iter()
        .map(|(s, port, n, _)| (s, port, n))
        .collect()
}

/// MC109/MC110 (`check`) for the spec at `spec`, when it names a registry; a registry that
/// cannot be read is its MC090.
pub fn check_named(p: &Platform, spec: &Path, out: &mut Findings) {
    if let Some(path) = path_of(p, spec) {
        match load(&path) {
            Ok(reg) => check(p, &reg, out),
            Err(f) => out.push(f),
        }
    }
}

/// The registry file a platform names, resolved against the spec's directory.
pub fn path_of(p: &Platform, spec: &Path) -> Option<PathBuf> {
    let rel = p.node_ports.as_ref()?.registry.as_ref()?;
    let dir = match spec.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(dir.join(&rel.value))
}

/// Reads the registry; a missing file is an empty registry (the first project creates it).
/// A file that is not a registry is an MC090 finding at the offending line.
#[allow(clippy::result_large_err)]
pub fn load(path: &Path) -> Result<Registry, Finding> {
    // A registry is shared between repositories by design, so it may live outside the spec's
    // (the documented exception); it must still be a regular file under the cap.
    let text = match crate::read::bounded(path, None, crate::read::MAX_NAMED_FILE_BYTES) {
        Ok(t) => t,
        Err(_) if !path.exists() => {
            return Ok(Registry {
                version: Registry::VERSION,
                allocations: Vec::new(),
            });
        }
        Err(e) => {
            return Err(Finding::new(
                "MC090",
                format!("cannot read the NodePort registry: {e}"),
            ));
        }
    };
    let reg: Registry = serde_json::from_str(&text).map_err(|e| {
        let text = Arc::new(text.clone());
        let offset = offset_of(&text, e.line(), e.column());
        Finding::new(
            "MC090",
            format!("{} is not a NodePort registry: {e}", path.display()),
        )
        .in_text(path.display().to_string(), &text, offset..offset, "here")
        .help("the format is schemas/port-registry.v1.schema.json: {\"version\": 1, \"allocations\": [{\"nodePort\": 30500, \"project\": …, \"service\": …, \"port\": …, \"namespace\": …}]}")
    })?;
    if reg.version != Registry::VERSION {
        return Err(Finding::new(
            "MC090",
            format!(
                "{} is registry version {}; this maestroc reads version {}",
                path.display(),
                reg.version,
                Registry::VERSION
            ),
        ));
    }
    Ok(reg)
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// MC109 for a NodePort this platform uses that another project holds; MC110 for one it
/// uses that the registry does not record for it, and for an entry of its own that the spec
/// no longer says.
pub fn check(p: &Platform, reg: &Registry, out: &mut Findings) {
    let project = p.name.value.as_str();
    let Some(range) = p.node_ports.as_ref() else {
        return;
    };
    let registry_span = range.registry.as_ref().map_or(range.span, |r| r.span);
    let used = used_node_ports_spanned(p);
    for (svc, port, n, span) in &used {
        if let Some(a) = reg
            .allocations
            .iter()
            .find(|a| a.node_port == *n && a.project != project)
        {
            out.push(
                Finding::new(
                    "MC109",
                    format!(
                        "NodePort {n} of `{svc}/{port}` is held by project `{}` ({}/{})",
                        a.project, a.service, a.port
                    ),
                )
                .at(*span, "taken on this cluster")
                .also(registry_span, "the shared registry")
                .help(format!(
                    "remove `node-port={n}` and run `maestroc ports allocate {svc} {port}` for a free one"
                )),
            );
        } else if !reg.allocations.iter().any(|a| {
            a.node_port == *n && a.project == project && a.service == *svc && a.port == *port
        }) {
            out.push(
                Finding::new(
                    "MC110",
                    format!(
                        "NodePort {n} of `{svc}/{port}` is not recorded in the shared registry"
                    ),
                )
                .at(*span, "unrecorded")
                .also(registry_span, "the shared registry")
                .help("run `maestroc ports sync` to record this platform's NodePorts"),
            );
        }
    }
    for a in reg.allocations.iter().filter(|a| a.project == project) {
        let said = used
            .iter()
            .any(|(s, port, n, _)| *n == a.node_port && *s == a.service && *port == a.port);
        if !said {
            out.push(
                Finding::new(
                    "MC110",
                    format!(
                        "the shared registry holds NodePort {} for `{}/{}`, which the spec no longer uses",
                        a.node_port, a.service, a.port
                    ),
                )
                .at(registry_span, "the shared registry")
                .help("run `maestroc ports sync` to release it for other projects"),
            );
        }
    }
}

/// Free ports in `range` that neither the spec nor any other project uses.
pub fn free_count(p: &Platform, reg: &Registry, range: &NodePortRange) -> usize {
    let mut taken: BTreeSet<u16> = reg.held_by_others(&p.name.value);
    taken.extend(used_node_ports(p).into_iter().map(|(_, _, n)| n));
    (range.low..=range.high)
        .filter(|n| !taken.contains(n))
        .count()
}

/// An exclusive lock on `<registry>.lock`, held until dropped: every writer of the registry
/// (in any project) takes it first, so read-modify-write cycles never interleave.
pub struct Lock {
    _file: std::fs::File,
}

impl Lock {
    pub fn acquire(registry: &Path) -> std::io::Result<Lock> {
        use std::os::fd::AsRawFd;
        let mut name = registry.as_os_str().to_owned();
        name.push(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PathBuf::from(name))?;
        // SAFETY: flock on a descriptor this function owns; blocks until granted, and the
        // kernel releases it when the file is closed (on drop or if the process dies).
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Lock { _file: file })
    }
}

/// Writes the registry whole: a temporary file beside it, synced, renamed over it.
pub fn save(path: &Path, reg: &Registry, _lock: &Lock) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut text = serde_json::to_string_pretty(reg).map_err(std::io::Error::other)?;
    text.push('\n');
    let mut tmp = tempfile::Builder::new()
        .prefix(".ports-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
