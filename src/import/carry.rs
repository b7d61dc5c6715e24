//! Stage 5: lossless by construction. The native spec is compiled and its objects compared
//! with the input's as data: input objects it does not rebuild at all ride along as `extra`
//! files; each rebuilt workload, Service and ServiceAccount gets the `patch` that makes it say
//! everything the input's does (`residual.rs`). What the compiler refuses is dropped and said,
//! so import never writes a spec that does not build.

use std::collections::BTreeMap;

use serde_json::Value;

use super::index::Input;
use super::kdl_out::{self, Block, quote};
use super::read::{Doc, stream_options};
use super::residual;
use crate::diagnostic::{Finding, Severity};

/// The spec import is writing: its text before and after the service blocks, and the files
/// it writes beside it.
pub(super) struct Draft {
    pub head: String,
    pub blocks: Vec<Block>,
    pub tail: String,
    pub files: BTreeMap<String, String>,
    pub counts: Counts,
}

/// Where the input's fields went, counted as leaves of the data (a scalar, or an empty map or
/// list): the summary's numbers.
#[derive(Default, Debug, Clone, Copy)]
pub struct Counts {
    pub objects: usize,
    pub fields: usize,
    pub patched: usize,
    pub extra: usize,
    pub not_carried: usize,
}

impl Counts {
    /// What the vocabulary says natively: every field not in a patch, an extra or left out.
    pub fn native(&self) -> usize {
        self.fields
            .saturating_sub(self.patched + self.extra + self.not_carried)
    }
}

/// The fields of an input object: the leaves of its intent, without the API server's
/// bookkeeping (`status`, `uid`, …) and a Secret's values, which are never carried.
pub(super) fn fields_of(v: &Value) -> usize {
    let mut v = v.clone();
    crate::server_defaults::server_fields(&mut v);
    if v["kind"] == "Secret"
        && let Some(m) = v.as_object_mut()
    {
        m.remove("data");
        m.remove("stringData");
    }
    leaves(&v)
}

/// Whether a document is an object of the cluster — not a `kustomization.yaml`, which
/// configures kubectl.
pub(super) fn is_cluster_object(d: &Doc) -> bool {
    !d.value["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .starts_with("kustomize.config.k8s.io")
}

/// The leaves of a value: what a field count counts.
pub(super) fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(m) if !m.is_empty() => m.values().map(leaves).sum(),
        Value::Array(a) if !a.is_empty() => a.iter().map(leaves).sum(),
        Value::Null => 0,
        _ => 1,
    }
}

/// Each service block's input workload, and its Service when named like it.
pub(super) type Owners<'a> = [(&'a Doc, Option<&'a Doc>)];

impl Draft {
    pub fn text(&self) -> String {
        let mut out = self.head.clone();
        for b in &self.blocks {
            out.push('\n');
            out.push_str(&b.render(0));
        }
        out.push_str(&self.tail);
        out
    }

    /// Whether the spec compiles reading `files`; `judged` also runs the checks over the
    /// final objects.
    fn builds_with(&self, files: &BTreeMap<String, String>, judged: bool) -> bool {
        compile_with_files(&self.text(), files, judged).0.is_some()
    }
}

/// Adds the `extra` files and residual patches to `draft`.
pub(super) fn lossless(
    draft: &mut Draft,
    owners: &Owners,
    input: &Input,
    findings: &mut Vec<Finding>,
) {
    let Some(built) = built_objects(&draft.text(), &draft.files) else {
        return;
    };
    carry_extras(draft, owners, &built, input, findings);
    let added = add_residuals(draft, owners, &built, input, findings);
    draft.counts.patched += added.iter().map(|a| a.1).sum::<usize>();
    drop_refused(draft, owners, &added, input, findings);
}

/// Objects not rebuilt at all ride along as `extra`; kept only when the spec still builds.
/// All at once first (one compile); only when that fails, service by service. Judged without
/// the final-object checks: the residual patches added next are what make the native pods
/// valid; the spec import writes is judged in full after them.
fn carry_extras(
    draft: &mut Draft,
    owners: &Owners,
    built: &BTreeMap<(String, String), Value>,
    input: &Input,
    findings: &mut Vec<Finding>,
) {
    let carried: Vec<(usize, String, String, usize, usize)> = extras(
        owners,
        built,
        input,
        findings,
        &mut draft.counts.not_carried,
    )
    .into_iter()
    .map(|(i, objects)| {
        let fields = objects.iter().map(leaves).sum();
        let name = owners[i].0.value["metadata"]["name"]
            .as_str()
            .unwrap_or("service");
        let text: Vec<String> = objects
            .iter()
            .filter_map(|o| serde_saphyr::to_string(o).ok())
            .collect();
        (
            i,
            format!("imported/{name}.yaml"),
            text.join("---\n"),
            objects.len(),
            fields,
        )
    })
    .collect();
    let mut all = draft.files.clone();
    for (i, file, text, ..) in &carried {
        all.insert(file.clone(), text.clone());
        draft.blocks[*i].line(format!("extra {}", quote(file)));
    }
    if draft.builds_with(&all, false) {
        draft.files = all;
        draft.counts.extra += carried.iter().map(|c| c.4).sum::<usize>();
        return;
    }
    for (i, ..) in &carried {
        draft.blocks[*i].drop_last(1);
    }
    for (i, file, text, count, fields) in carried {
        let mut trial = draft.files.clone();
        trial.insert(file.clone(), text);
        draft.blocks[i].line(format!("extra {}", quote(&file)));
        if draft.builds_with(&trial, false) {
            draft.files = trial;
            draft.counts.extra += fields;
            continue;
        }
        draft.blocks[i].drop_last(1);
        draft.counts.not_carried += fields;
        let (w, _) = owners[i];
        findings.push(
            input
                .at_code(
                    "MC004",
                    w,
                    format!(
                        "{count} object(s) that `{}` uses could not be carried as `extra`",
                        w.value["metadata"]["name"].as_str().unwrap_or("service")
                    ),
                    "not carried",
                )
                .help("add them to the spec's `extra` files by hand"),
        );
    }
}

/// The residual `patch` of each rebuilt object of each service; returns how many each got,
/// and how many fields they carry.
fn add_residuals(
    draft: &mut Draft,
    owners: &Owners,
    built: &BTreeMap<(String, String), Value>,
    input: &Input,
    findings: &mut Vec<Finding>,
) -> Vec<(usize, usize)> {
    let ports = built
        .get(&("ConfigMap".to_string(), "service-ports".to_string()))
        .map(|c| c["data"].clone())
        .unwrap_or(Value::Null);
    let mut added = vec![(0usize, 0usize); draft.blocks.len()];
    for (i, (w, svc)) in owners.iter().enumerate() {
        // The objects maestroc builds beside the workload under names of its own choosing —
        // its ServiceAccount, NetworkPolicy and Ingress named like it, a StatefulSet's
        // headless Service — which an input object of the same kind and name is.
        let headless = format!("{}-headless", w.name());
        let beside = [
            ("ServiceAccount", w.name()),
            ("NetworkPolicy", w.name()),
            ("Ingress", w.name()),
            ("Service", headless.as_str()),
        ]
        .into_iter()
        .filter_map(|(kind, name)| input.find(kind, name));
        for doc in std::iter::once(*w).chain(*svc).chain(beside) {
            let (kind, name) = (doc.kind(), doc.name());
            let Some(b) = built.get(&(kind.to_string(), name.to_string())) else {
                continue;
            };
            // Compared as what runs: a `service-ports` reference is the value it resolves to.
            let (mut b, mut object) = (b.clone(), doc.value.clone());
            residual::resolve_port_refs(&mut b, &ports);
            residual::resolve_port_refs(&mut object, &ports);
            let mut skipped = Vec::new();
            if let Some(mut body) = residual::residual(&object, &b, &mut skipped) {
                // A credential stays a secret reference: never a value in the spec.
                residual::strip_credentials(&mut body);
                // The input's own policy, adopted: what it admits beyond the dependency
                // graph is said, not hidden (MC503 wants the reason).
                let reason = (kind == "NetworkPolicy").then_some("as imported");
                let named = (name != w.name()).then_some(name);
                added[i].1 += leaves(&body);
                draft.blocks[i].block(kdl_out::patch_of(kind, named, reason, &body));
                added[i].0 += 1;
            }
            for path in &skipped {
                let at = format!("/{}", path.replace('.', "/"));
                draft.counts.not_carried += object.pointer(&at).map_or(1, leaves);
            }
            if !skipped.is_empty() {
                let mut f = input
                    .at(
                        doc,
                        format!(
                            "{kind} `{name}`: {} differs from what the spec builds and no patch may change it",
                            skipped.join(", ")
                        ),
                        "not carried",
                    )
                    .help("the rebuilt object replaces the live one only after deleting it (a selector is immutable)");
                f.severity = Severity::Warning;
                findings.push(f);
            }
        }
    }
    added
}

/// A residual patch the compiler refuses (MC014) is dropped, service by service, until the
/// spec compiles, and each drop is said.
fn drop_refused(
    draft: &mut Draft,
    owners: &Owners,
    added: &[(usize, usize)],
    input: &Input,
    findings: &mut Vec<Finding>,
) {
    if draft.builds_with(&draft.files, true) {
        return;
    }
    for (i, &(n, fields)) in added.iter().enumerate().filter(|(_, n)| n.0 > 0) {
        draft.blocks[i].drop_last(n);
        draft.counts.patched -= fields;
        draft.counts.not_carried += fields;
        findings.push(
            input
                .at_code(
                    "MC014",
                    owners[i].0,
                    "what the spec does not say natively of this workload could not be carried as a patch"
                        .to_string(),
                    "not carried",
                )
                .help("compare `maestroc build` with the input and add the difference by hand"),
        );
        if draft.builds_with(&draft.files, true) {
            break;
        }
    }
}

/// The objects a spec builds, by (kind, name), for its first environment (or `base`); None
/// when it does not compile.
fn built_objects(
    spec: &str,
    files: &BTreeMap<String, String>,
) -> Option<BTreeMap<(String, String), Value>> {
    let (compiled, _) = compile_with_files(spec, files, false);
    let files = crate::emit::emit_judged(&compiled?, false).ok()?;
    let env = files.keys().find_map(|k| {
        k.strip_prefix("k8s/")?
            .split('/')
            .next()
            .map(str::to_string)
    })?;
    let mut out = BTreeMap::new();
    for (path, text) in files.range(format!("k8s/{env}/")..) {
        if !path.starts_with(&format!("k8s/{env}/")) {
            break;
        }
        let docs: Vec<Value> =
            serde_saphyr::from_str_multiple_with_options(text, stream_options()).ok()?;
        for d in docs {
            let key = (
                d["kind"].as_str().unwrap_or_default().to_string(),
                d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            out.entry(key).or_insert(d);
        }
    }
    Some(out)
}

/// Compiles `spec` reading the files import writes beside it from `files`.
fn compile_with_files(
    spec: &str,
    files: &BTreeMap<String, String>,
    judged: bool,
) -> (
    Option<crate::resolve::Compiled>,
    crate::diagnostic::Findings,
) {
    let load = |rel: &str| {
        files
            .get(rel)
            .cloned()
            .ok_or_else(|| format!("{rel}: not written by import"))
    };
    let (compiled, mut findings) =
        crate::resolve::compile_from(spec, &crate::config::Config::default(), &load);
    // "Builds" means emits: the checks over the final objects (Pod Security, the API server's
    // rules) judge what a patch makes of the pod, so a patch they refuse is refused here too.
    if judged
        && let Some(c) = &compiled
        && let Err(e) = crate::emit::emit(c)
    {
        findings.extend(e.findings);
        return (None, findings);
    }
    (compiled, findings)
}

/// Whether `v` holds the string `s` anywhere (a pod naming a ConfigMap, a ServiceAccount, a
/// claim).
fn mentions(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|i| mentions(i, s)),
        Value::Object(m) => m.values().any(|i| mentions(i, s)),
        _ => false,
    }
}

/// Input objects the native spec does not rebuild at all (a second Service, the ConfigMaps
/// and ServiceAccount pods use, RBAC, budgets), as `extra` files, one per service: each goes
/// to the service whose pods select or name it, else to the first. Never a Secret (its values
/// stay out of the spec and its files) nor a Namespace (the spec's own).
fn extras(
    owners: &Owners,
    built: &BTreeMap<(String, String), Value>,
    input: &Input,
    findings: &mut Vec<Finding>,
    not_carried: &mut usize,
) -> BTreeMap<usize, Vec<Value>> {
    let mut out: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
    if owners.is_empty() {
        // Extras ride with a service: with none, nothing can be carried — said, not dropped.
        if let Some(first) = input
            .docs
            .iter()
            .find(|d| !matches!(d.kind(), "Secret" | "Namespace"))
        {
            findings.push(
                input
                    .at_code(
                        "MC004",
                        first,
                        format!(
                            "the input has no Deployment, StatefulSet, DaemonSet, Job or CronJob: its {} object(s) are not carried",
                            input.docs.len()
                        ),
                        "nothing to carry them with",
                    )
                    .help("add the workload the objects belong to, or write a `service` by hand and list them as its `extra`"),
            );
        }
        *not_carried += input
            .docs
            .iter()
            .map(|d| fields_of(&d.value))
            .sum::<usize>();
        return out;
    }
    for d in input.docs {
        let (kind, name) = (d.kind(), d.name());
        if name.is_empty()
            || matches!(kind, "Secret" | "Namespace" | "List" | "")
            || !is_cluster_object(d)
            || built.contains_key(&(kind.to_string(), name.to_string()))
        {
            continue;
        }
        if is_helm_test(&d.value) {
            let mut f = input
                .at_code(
                    "MC004",
                    d,
                    format!("{kind} `{name}` is a `helm test` hook: not carried"),
                    "runs only on `helm test`",
                )
                .help("`helm install` never creates it; carried as `extra`, every apply would run it — add it by hand if you want that");
            f.severity = Severity::Warning;
            findings.push(f);
            *not_carried += fields_of(&d.value);
            continue;
        }
        let selector = d.value["spec"]["selector"]
            .get("matchLabels")
            .unwrap_or(&d.value["spec"]["selector"]);
        let owner = owners
            .iter()
            .position(|(w, _)| {
                let t = &w.value["spec"]["template"];
                selector.as_object().is_some_and(|sel| {
                    !sel.is_empty() && sel.iter().all(|(k, v)| &t["metadata"]["labels"][k] == v)
                })
            })
            .or_else(|| {
                owners
                    .iter()
                    .position(|(w, _)| mentions(&w.value["spec"], name))
            })
            .unwrap_or(0);
        let mut obj = d.value.clone();
        // A credential never rides along into the spec's files (and the output): it is
        // reported where the input has it, for the user to move into a secret.
        let removed = crate::lint::credentials::strip(&mut obj, "");
        if !removed.is_empty() {
            findings.push(
                input
                    .at_code(
                        "MC301",
                        d,
                        format!(
                            "{kind} `{name}` holds credentials at {}: not carried into `imported/`",
                            removed.join(", ")
                        ),
                        "credentials here",
                    )
                    .help("keep them in a `secret` and read them with `env NAME secret=\"…\"`"),
            );
        }
        out.entry(owner).or_default().push(obj);
    }
    out
}

/// Whether an object is a `helm test` hook (`helm.sh/hook: test`, or the older
/// `test-success`/`test-failure`), which a release's install never creates.
fn is_helm_test(o: &Value) -> bool {
    o["metadata"]["annotations"]["helm.sh/hook"]
        .as_str()
        .is_some_and(|h| h.split(',').any(|h| h.trim().starts_with("test")))
}

/// What still stops the spec import wrote is in the input itself (a container without an
/// image, a name Kubernetes refuses, a port dialled that no Service exposes): each error is
/// said as an import finding, so a spec that does not build is never written silently.
pub(super) fn unbuildable(draft: &Draft, findings: &mut Vec<Finding>) {
    let (compiled, errors) = compile_with_files(&draft.text(), &draft.files, true);
    if compiled.is_some() {
        return;
    }
    for f in errors.iter().filter(|f| f.severity == Severity::Error) {
        findings.push(
            Finding::new(f.rule.code, format!("the spec written does not build: {}", f.message))
                .help("the input says something Kubernetes or maestroc refuses here: fix it in the input, or in the spec import wrote"),
        );
    }
}
