//! Pure functions from a compiled platform to the files of `output/`. No I/O: the result is a
//! map from relative path to bytes, which `output` writes or compares.

mod config;
mod docs;
mod gitops;
pub mod graph;
pub mod helm;
mod meta;
pub mod operations;
pub mod patch;
pub mod pod;
pub mod secrets;
pub mod workload;
pub mod yaml;

use std::collections::BTreeMap;

use crate::resolve::Compiled;
use crate::target::Target;
pub use config::ports_data;
pub use helm::{JSON_HEADER, TEMPLATE_HEADER};
pub use meta::CHECKOV_SKIP;
pub use yaml::{HEADER, MARKDOWN_HEADER, YamlError};

/// Relative path (with `/`) → file contents. Sorted, so iteration order is deterministic.
pub type Files = BTreeMap<String, String>;

/// Every output file for every target. The targets, the chart and the docs are independent,
/// so they are built on separate threads and merged (a `BTreeMap`: the order is the same
/// whatever finishes first).
pub fn emit(c: &Compiled) -> Result<Files, YamlError> {
    emit_judged(c, true)
}

/// As [`emit`]; with `judge` false the final objects are not refused for Pod Security or the
/// API server's rules (their labels are still computed). Only for `import`'s intermediate
/// builds, whose residual patches are what make the objects valid; what import writes is
/// judged in full.
pub fn emit_judged(c: &Compiled, judge: bool) -> Result<Files, YamlError> {
    let targets = Target::all(&c.platform);
    let parts: Vec<Result<Files, YamlError>> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for t in &targets {
            handles.push(scope.spawn(move || {
                let mut files = Files::new();
                emit_target(c, t, judge, &mut files).map(|()| files)
            }));
        }
        handles.push(scope.spawn(|| {
            let mut files = Files::new();
            helm::emit(c, &mut files).map(|()| files)
        }));
        handles.push(scope.spawn(|| {
            let mut files = Files::new();
            files.insert("docs/PORTS.md".into(), docs::ports(c));
            files.insert("docs/ARCHITECTURE.md".into(), docs::architecture(c));
            gitops::emit(&c.platform, &mut files)?;
            Ok(files)
        }));
        handles.into_iter().map(|h| joined(h, "output")).collect()
    });
    let mut files = Files::new();
    for part in parts {
        files.extend(part?);
    }
    Ok(files)
}

/// One environment's files (`k8s/<env>/…`), in apply order: their names sort as `build`
/// numbers them (00-namespace, 01-secrets, 10-<service>, …).
pub fn environment_files<'a>(files: &'a Files, env: &str) -> impl Iterator<Item = &'a str> {
    let prefix = format!("k8s/{env}/");
    files
        .range(prefix.clone()..)
        .take_while(move |(p, _)| p.starts_with(&prefix))
        .map(|(_, text)| text.as_str())
}

/// The result of an emitter thread; a thread that panicked is an error about `what`.
pub(crate) fn joined<T>(
    handle: std::thread::ScopedJoinHandle<'_, Result<T, YamlError>>,
    what: &str,
) -> Result<T, YamlError> {
    handle.join().unwrap_or_else(|_| {
        Err(YamlError {
            what: what.into(),
            message: "an emitter thread panicked".into(),
            findings: Vec::new(),
        })
    })
}

fn emit_target(
    c: &Compiled,
    t: &Target<'_>,
    judge: bool,
    files: &mut Files,
) -> Result<(), YamlError> {
    let dir = format!("k8s/{}", t.name());
    let mut put = |name: String, file: yaml::YamlFile| {
        if !file.is_empty() {
            files.insert(format!("{dir}/{name}"), file.finish());
        }
    };
    put("00-service-config.yaml".into(), config::config_maps(t)?);
    put("01-secrets.yaml".into(), secrets::secrets(t)?);
    let services = &c.platform.services;
    let mut pods = Vec::new();
    for &i in &c.graph.order {
        let svc = &services[i];
        if !t.runs(svc) {
            continue;
        }
        let (dependencies, dependents) = c.graph.neighbours(&c.platform, i);
        let number = c.graph.file_number(i);
        let (file, judged) = workload::service_file_judged(t, svc, &dependencies, &dependents)?;
        pods.extend(judged);
        put(format!("{number:02}-{}.yaml", svc.name.value), file);
    }
    // The namespaces last: their Pod Security labels are what the final pods meet.
    let verdict = crate::verify::admission::judge(t, &pods);
    if judge && !verdict.findings.is_empty() {
        return Err(YamlError::spec(verdict.findings));
    }
    put(
        "00-namespace.yaml".into(),
        config::namespaces(t, &verdict.levels)?,
    );
    Ok(())
}

/// Every final pod of an environment judged (for the chart, which emits no service files).
pub fn admission(
    t: &Target<'_>,
    graph: &crate::graph::DepGraph,
) -> Result<crate::verify::admission::Verdict, YamlError> {
    Ok(crate::verify::admission::judge(t, &final_pods(t, graph)?))
}

/// Every final pod of an environment (after patches, `extra` files, annotations).
pub fn final_pods<'a>(
    t: &Target<'a>,
    graph: &crate::graph::DepGraph,
) -> Result<Vec<crate::verify::admission::FinalPod<'a>>, YamlError> {
    let mut pods = Vec::new();
    for (i, svc) in t.platform.services.iter().enumerate() {
        if t.runs(svc) {
            let (dependencies, dependents) = graph.neighbours(t.platform, i);
            pods.extend(workload::final_pods(t, svc, &dependencies, &dependents)?);
        }
    }
    Ok(pods)
}
