//! `maestroc import`: Kubernetes YAML (files, `helm template` or `kubectl kustomize` output)
//! → a `platform.kdl` that rebuilds it, plus the drift found on the way in. Pure: text in,
//! text and findings out; `cli/import.rs` does the reading and writing.
//!
//! One `service` per workload (Deployment, StatefulSet, DaemonSet): image, ports (container,
//! Service, NodePort, Service type), env (literals; addresses of other imported Services become
//! `{KEY}` placeholders and `depends-on`; Secret keys become `secret=`/`key=`), resources,
//! probes, volumes, identity, selector and container name as they are. Secrets become names
//! and keys — never values. What the vocabulary cannot say goes into a `patch`.

//!
//! The pipeline, a module per stage: `read` (YAML → documents with spans) → `index` (each
//! workload with its Services; maestroc's own `service-ports`) → `translate` (each workload →
//! a `service` block, concern by concern) → `platform` (what the spec says once) → `carry`
//! (compile, compare with the input as data, add `extra` files and residual patches: lossless
//! by construction) → `secrets` (the values file).

pub mod carry;
mod index;
mod kdl_out;
mod operations;
mod platform;
mod read;
mod residual;
mod secrets;
mod translate;

use crate::diagnostic::Finding;
pub use read::stream_options;

/// What `import` produces.
pub struct Imported {
    pub spec: String,
    pub findings: Vec<Finding>,
    pub services: usize,
    /// Where the input's fields went: natively, into patches, into extras, not carried.
    pub counts: carry::Counts,
    /// Files to write beside the spec, by name relative to it: the credentials found in the
    /// input (`<spec>.secrets`, to keep out of Git) and the objects carried as `extra`.
    pub files: Vec<(String, String)>,
}

/// The values file import writes beside the spec when the input held credentials.
pub const SECRETS_FILE: &str = "imported.secrets";

pub fn import(inputs: &[(String, String)]) -> Result<Imported, Box<Finding>> {
    import_as(inputs, None)
}

/// As [`import`]; what the input says for every workload at once (the image pull policy, the
/// claims' storage class) becomes `environment NAME` (default "imported"), since that is where
/// the spec says it.
pub fn import_as(inputs: &[(String, String)], env: Option<&str>) -> Result<Imported, Box<Finding>> {
    let mut docs = Vec::new();
    for (i, (name, text)) in inputs.iter().enumerate() {
        read::documents(i, text, &mut docs).map_err(|e| {
            Box::new(Finding::new("MC001", format!("{name} is not YAML: {e}"))
                .help("import reads Kubernetes YAML: manifests, `helm template` or `kubectl kustomize` output"))
        })?;
    }
    let input = index::Input::new(inputs, &docs)?;
    let mut findings = input.check();
    let mut secrets = secrets::Secrets::of(&docs);
    let mut seen = translate::Seen::default();
    let (mut blocks, mut owners) = (Vec::new(), Vec::new());
    for w in &input.workloads {
        if let Some(b) = translate::service(&input, w, &mut secrets, &mut seen, &mut findings) {
            blocks.push(b);
            owners.push((*w, input.own_service(w)));
        }
    }
    // Default credentials in the input, as the scanner reports them.
    for (i, (file, text)) in inputs.iter().enumerate() {
        for c in crate::scan::credentials(text) {
            findings.push(c.into_finding(file, &input.texts[i]));
        }
    }
    let mut draft = carry::Draft {
        head: platform::head(&input, &seen, &secrets),
        blocks,
        tail: platform::tail(&input, &seen, env),
        files: Default::default(),
        // What the cluster would hold: a `kustomization.yaml` read with a directory configures
        // kubectl, and is neither carried nor counted.
        counts: carry::Counts {
            objects: docs.iter().filter(|d| carry::is_cluster_object(d)).count(),
            fields: docs
                .iter()
                .filter(|d| carry::is_cluster_object(d))
                .map(|d| carry::fields_of(&d.value))
                .sum(),
            ..Default::default()
        },
    };
    carry::lossless(&mut draft, &owners, &input, &mut findings);
    carry::unbuildable(&draft, &mut findings);
    let mut imported = Imported {
        spec: draft.text(),
        findings,
        services: draft.blocks.len(),
        counts: draft.counts,
        files: draft.files.into_iter().collect(),
    };
    secrets.write(&mut imported);
    Ok(imported)
}
