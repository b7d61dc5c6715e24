//! Helm charts rendered with `helm template`, when helm is installed: the objects a chart
//! really produces with its own values, compared with the spec like hand-written manifests
//! (`manifest.rs`), each finding shown where the number is written — the template line that
//! writes it literally, else the `values.yaml` key it comes from, else the template line of
//! that field.
//!
//! Without helm, or for a chart that does not render (dependencies not vendored) or renders
//! no object the spec names, templates are read as they are (`helm.rs`: actions blanked).
//! The release name decides the objects' names: the chart's own name and each
//! `app.kubernetes.io/instance` the spec's selectors keep are tried, and the one naming most
//! spec services wins.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use regex::Regex;

use super::Knowledge;
use super::helm;
use super::manifest::{self, ManifestDrift};
use crate::config::ChartConfig;
use crate::diagnostic::Finding;
use crate::model::Platform;

/// A chart's rendering may not take longer, nor print more.
const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_OUTPUT: u64 = 64 * 1024 * 1024;

/// The charts that rendered and what their objects contradict.
pub struct Rendered {
    /// Chart directories (relative to the root) whose templates were judged rendered.
    pub charts: Vec<PathBuf>,
    pub findings: Vec<Finding>,
}

/// `helm` on PATH, if any.
fn helm_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("helm"))
        .find(|p| p.is_file())
}

/// Renders each chart (`Chart.yaml` paths relative to `k.root`); a chart inside another's
/// `charts/` renders with its parent.
pub fn render(k: &Knowledge, chart_files: &[PathBuf], configured: &[ChartConfig]) -> Rendered {
    let mut out = Rendered {
        charts: Vec::new(),
        findings: Vec::new(),
    };
    let Some(helm) = helm_binary() else {
        return out;
    };
    let dirs: Vec<PathBuf> = chart_files
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    for dir in &dirs {
        let nested = dir.ancestors().skip(1).any(|a| {
            a.file_name().is_some_and(|n| n == "charts")
                && a.parent().is_some_and(|p| dirs.iter().any(|d| d == p))
        });
        if nested {
            continue;
        }
        let config = configured.iter().find(|c| Path::new(&c.path) == dir);
        if let Some(findings) = judge_chart(k, &helm, dir, config) {
            out.charts.push(dir.clone());
            out.findings.extend(findings);
        }
    }
    out
}

/// The release names worth trying: the chart's name and the spec's `instance` labels.
fn releases(p: &Platform, chart_name: &str) -> Vec<String> {
    let mut out = vec![chart_name.to_string()];
    for s in &p.services {
        for (k, v) in &s.pod.selector {
            if k.value == "app.kubernetes.io/instance" && !out.contains(&v.value) {
                out.push(v.value.clone());
            }
        }
    }
    out.truncate(4);
    out
}

/// None when the chart does not render or renders nothing the spec names. A configured chart
/// renders as configured; another with its own values under each release name worth trying.
fn judge_chart(
    k: &Knowledge,
    helm: &Path,
    dir: &Path,
    config: Option<&ChartConfig>,
) -> Option<Vec<Finding>> {
    let chart_yaml = crate::read::bounded(
        &k.root.join(dir).join("Chart.yaml"),
        Some(&k.root),
        super::walk::MAX_FILE_BYTES,
    )
    .ok()?;
    let name = chart_yaml
        .lines()
        .find_map(|l| l.strip_prefix("name:"))
        .map(|n| n.trim().trim_matches(['"', '\'']).to_string())?;
    // Unconfigured, a chart is worth rendering only when a spec service's name holds its
    // name: a repository of many charts is not rendered chart by chart for nothing.
    if config.is_none()
        && !k
            .platform
            .services
            .iter()
            .any(|s| s.name.value.contains(name.as_str()))
    {
        return None;
    }
    let namespace = k.platform.namespace.value.clone();
    let mut best: Option<(usize, String, String)> = None;
    let (candidates, values, set) = match config {
        Some(c) => (
            vec![c.release.clone().unwrap_or(name)],
            c.values.as_slice(),
            c.set.as_slice(),
        ),
        None => (releases(k.platform, &name), &[][..], &[][..]),
    };
    for release in candidates {
        let invocation = Invocation {
            chart: &k.root.join(dir),
            release: &release,
            namespace: &namespace,
            values,
            set,
        };
        let Some(text) = helm_template(helm, &invocation) else {
            continue;
        };
        let named = documents(&text)
            .iter()
            .filter(|(_, d)| names_spec_object(k.platform, d))
            .count();
        if named > 0 && best.as_ref().is_none_or(|(n, ..)| named > *n) {
            best = Some((named, text, release));
        }
    }
    let (_, text, release) = best?;
    let rerender = Rerender {
        helm,
        chart: k.root.join(dir),
        dir,
        release,
        namespace,
        values,
        set,
        rendered: &text,
    };
    let mut findings = Vec::new();
    for (source, doc) in documents(&text) {
        // `<chart>/templates/x.yaml`, `<chart>/charts/<sub>/templates/x.yaml`: the first
        // component is the chart directory's.
        let Some(template_rel) = source.split_once('/').map(|(_, rest)| dir.join(rest)) else {
            continue;
        };
        let Ok(template) = crate::read::bounded(
            &k.root.join(&template_rel),
            Some(&k.root),
            super::walk::MAX_FILE_BYTES,
        ) else {
            continue;
        };
        let template = Arc::new(template);
        let file = super::display(&template_rel);
        let standing = super::standing::of(&template_rel);
        for drift in manifest::check(k, &template_rel, doc) {
            // A variant's object that names the spec's own namespace claims to be the platform.
            let claims = drift.claims_namespace();
            let f = at_template(k, &rerender, &template_rel, &file, &template, drift);
            findings.push(if claims { f } else { standing.apply(f) });
        }
    }
    Some(findings)
}

/// Whether a rendered object is one the spec builds: a workload or Service named like a spec
/// service, or an object a service ships as `extra`.
fn names_spec_object(p: &Platform, doc: &str) -> bool {
    let Some(name) = doc
        .lines()
        .skip_while(|l| !l.starts_with("metadata:"))
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .find_map(|l| l.strip_prefix("  name:"))
        .map(|n| n.trim().trim_matches(['"', '\'']))
    else {
        return false;
    };
    p.services.iter().any(|s| {
        s.name.value == name
            || s.extras
                .iter()
                .flat_map(|e| &e.objects)
                .any(|o| o["metadata"]["name"] == name)
    })
}

/// How the chart that rendered was invoked, to render it again with one value changed.
struct Rerender<'a> {
    helm: &'a Path,
    chart: PathBuf,
    /// The chart's directory relative to the root (its `values.yaml` is read from there).
    dir: &'a Path,
    release: String,
    namespace: String,
    values: &'a [String],
    set: &'a [String],
    /// What the chart rendered as installed.
    rendered: &'a str,
}

/// At most this many values keys are tried for one finding (each is one `helm template`).
const MAX_CANDIDATES: usize = 6;

impl Rerender<'_> {
    /// The values key a rendered number comes from, found by experiment when the template
    /// computes it (a `range` over services, a `tpl`, a helper): every key that holds the
    /// number in the values helm reads — the chart's `values.yaml`, then the configured files,
    /// a later one overriding — is changed in turn, and the key whose change moves the number
    /// in the rendered object is its source. No guess: a key that merely holds the same number
    /// changes nothing there.
    fn provenance(
        &self,
        root: &Path,
        kind: &str,
        name: &str,
        field: &str,
        value: i64,
    ) -> Option<helm::FromValues> {
        let mut files: Vec<PathBuf> = vec![root.join(self.dir).join("values.yaml")];
        files.extend(self.values.iter().map(|v| root.join(v)));
        let mut leaves: Vec<(usize, Vec<String>)> = Vec::new();
        let mut texts = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let text =
                crate::read::bounded(f, None, super::walk::MAX_FILE_BYTES).unwrap_or_default();
            let doc: serde_json::Value =
                serde_saphyr::from_str_with_options(&text, helm::options()).unwrap_or_default();
            let mut found = Vec::new();
            leaves_equal(&doc, value, &mut Vec::new(), &mut found);
            // A key a later file sets again is that file's.
            leaves.retain(|(_, path)| !found.contains(path));
            leaves.extend(found.into_iter().map(|p| (i, p)));
            texts.push(text);
        }
        if leaves.is_empty() {
            return None;
        }
        let says = field_says(field, value)?;
        let count = |text: &str| -> usize {
            documents(text)
                .iter()
                .filter(|(_, d)| object_is(d, kind, name))
                .map(|(_, d)| says.find_iter(d).count())
                .sum()
        };
        let installed = count(self.rendered);
        let scratch = tempfile::Builder::new()
            .prefix("maestroc-provenance")
            .suffix(".yaml")
            .tempfile()
            .ok()?;
        for (i, path) in leaves.into_iter().take(MAX_CANDIDATES) {
            let mut nested = serde_json::Value::from(value + 1);
            for key in path.iter().rev() {
                nested = serde_json::json!({ key: nested });
            }
            std::fs::write(scratch.path(), serde_json::to_string(&nested).ok()?).ok()?;
            let mut values: Vec<String> = self.values.to_vec();
            values.push(scratch.path().to_string_lossy().into_owned());
            let invocation = Invocation {
                chart: &self.chart,
                release: &self.release,
                namespace: &self.namespace,
                values: &values,
                set: self.set,
            };
            let Some(text) = helm_template(self.helm, &invocation) else {
                continue;
            };
            // Rendered once more with this key alone changed: fewer of the object's fields
            // say the number.
            if count(&text) < installed {
                let keys: Vec<&str> = path.iter().map(String::as_str).collect();
                let file_text = Arc::new(texts[i].clone());
                let span = helm::locate_key(&file_text, &keys)?;
                let shown = files[i].strip_prefix(root).unwrap_or(&files[i]);
                return Some(helm::FromValues {
                    at: 0..0,
                    file: super::display(shown),
                    text: file_text,
                    span,
                    path: path.join("."),
                    number: value as u64,
                });
            }
        }
        None
    }
}

/// `field: value` written literally (`containerPort: 8080`, `port: "80"`).
fn field_says(field: &str, value: i64) -> Option<Regex> {
    Regex::new(&format!(r#"\b{field}\s*:\s*["']?{value}\b"#)).ok()
}

/// Whether a rendered document is the object of this kind and name.
fn object_is(doc: &str, kind: &str, name: &str) -> bool {
    let value: serde_json::Value = serde_saphyr::from_str(doc).unwrap_or_default();
    value["kind"] == kind && value["metadata"]["name"] == name
}

/// The mapping paths of `v` whose scalar is `n` (a number, or a string of digits).
fn leaves_equal(v: &serde_json::Value, n: i64, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                leaves_equal(x, n, at, out);
                at.pop();
            }
        }
        serde_json::Value::Number(x) if x.as_i64() == Some(n) => out.push(at.clone()),
        serde_json::Value::String(s) if s.parse::<i64>().ok() == Some(n) => out.push(at.clone()),
        _ => {}
    }
}

/// How one chart is rendered.
struct Invocation<'a> {
    chart: &'a Path,
    release: &'a str,
    namespace: &'a str,
    values: &'a [String],
    set: &'a [String],
}

/// `helm template` of one chart, bounded in time and size; None when it fails.
fn helm_template(helm: &Path, i: &Invocation) -> Option<String> {
    let mut command = Command::new(helm);
    command.args(["template", i.release]).arg(i.chart).args([
        "--namespace",
        i.namespace,
        "--skip-tests",
    ]);
    for v in i.values {
        command.args(["--values", v]);
    }
    for s in i.set {
        command.args(["--set", s]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        (&mut stdout)
            .take(MAX_OUTPUT)
            .read_to_string(&mut text)
            .ok()
            .map(|_| text)
    });
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return reader.join().ok().flatten(),
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The documents of `helm template` output with the template each came from (its
/// `# Source:` line).
fn documents(text: &str) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find("\n---").map_or(rest.len(), |i| i + 1);
        let doc = &rest[..end];
        rest = rest[end..]
            .strip_prefix("---")
            .map_or(&rest[end..], |r| r.trim_start_matches([' ', '\t']));
        if let Some(source) = doc
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(str::trim)
        {
            out.push((source.to_string(), doc));
        }
    }
    out
}

/// The drift found in the rendered object, shown in the template: at a line writing the
/// number literally, else at the values key it comes from, else at the field's first line.
fn at_template(
    k: &Knowledge,
    rerender: &Rerender,
    rel: &Path,
    file: &str,
    template: &Arc<String>,
    drift: ManifestDrift,
) -> Finding {
    let (field, value) = (drift.field(), drift.value());
    if let Some(m) = field_says(field, value).and_then(|re| re.find(template)) {
        return drift.moved_to(m.range(), None).into_finding(file, template);
    }
    let mut blanked = helm::blank_actions(template);
    let from_values = helm::port_values(&k.root, rel, template, &mut blanked)
        .into_iter()
        .find(|v| v.number == value as u64)
        .or_else(|| rerender.provenance(&k.root, drift.kind(), drift.object(), field, value));
    let field_line = Regex::new(&format!(r"\b{field}\s*:"))
        .ok()
        .and_then(|re| re.find(template).map(|m| m.range()));
    let span = from_values
        .as_ref()
        .map(|v| v.at.clone())
        .or(field_line)
        .unwrap_or(0..0);
    drift
        .moved_to(span, from_values)
        .into_finding(file, template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_their_template() {
        let text = "---\n# Source: shop/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n---\n# Source: shop/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\n";
        let docs = documents(text);
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert_eq!(docs[0].0, "shop/templates/service.yaml");
        assert!(docs[0].1.contains("kind: Service") && !docs[0].1.contains("Deployment"));
        assert_eq!(docs[1].0, "shop/templates/deployment.yaml");
    }
}
