//! Credentials: the input's Secrets (and ExternalSecrets) become `secret` declarations — names
//! and keys, never values; a credential found in a literal env value becomes a key of the
//! workload's own `<name>-env` secret, its value written to the git-ignored values file beside
//! the spec that `maestroc secrets --from` reads back.

use std::collections::BTreeMap;

use super::kdl_out::{Block, quote};
use super::read::Doc;
use super::{Imported, SECRETS_FILE};
use crate::diagnostic::Finding;

/// A credential's value as the input said it.
pub(super) struct Value {
    pub secret: String,
    pub key: String,
    pub value: String,
}

/// An object's labels or annotations, in the input's order.
type Pairs = Vec<(String, String)>;

#[derive(Default)]
pub(super) struct Secrets {
    /// Secret name → keys in the order first seen.
    pub keys: BTreeMap<String, Vec<String>>,
    /// An ExternalSecret's store and path: the spec's `store`.
    stores: BTreeMap<String, (String, String)>,
    /// The input object's labels and annotations, by secret name.
    meta: BTreeMap<String, (Pairs, Pairs)>,
    values: Vec<Value>,
    /// Secret values that are no text (a keystore): not in the values file.
    binary: usize,
}

/// A Secret's `data` value as text, when it is base64 of UTF-8.
fn decoded(b64: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

impl Secrets {
    /// The Secrets and ExternalSecrets of the input, by name and key; a Secret's values go to
    /// the values file only (never into the spec), decoded — a binary value cannot, and is
    /// counted apart.
    pub fn of(docs: &[Doc]) -> Self {
        let mut out = Secrets::default();
        for d in docs
            .iter()
            .filter(|d| matches!(d.kind(), "Secret" | "ExternalSecret"))
        {
            let name = d.name();
            let pairs = |field: &str| -> Pairs {
                d.value["metadata"][field]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            };
            out.meta
                .insert(name.to_string(), (pairs("labels"), pairs("annotations")));
            for field in ["data", "stringData"] {
                for (k, v) in d.value[field].as_object().into_iter().flatten() {
                    out.add_key(name, k);
                    let value = match (field, v.as_str()) {
                        ("data", Some(b64)) => decoded(b64),
                        (_, Some(text)) => Some(text.to_string()),
                        _ => None,
                    };
                    match value {
                        Some(value) if d.kind() == "Secret" => out.values.push(Value {
                            secret: name.to_string(),
                            key: k.clone(),
                            value,
                        }),
                        None if d.kind() == "Secret" => out.binary += 1,
                        _ => {}
                    }
                }
            }
            // maestroc's value-less Secrets and ExternalSecrets list their keys.
            if let Some(keys) =
                d.value["metadata"]["annotations"]["maestroc.dev/required-keys"].as_str()
            {
                for k in keys.split(',') {
                    out.add_key(name, k);
                }
            }
            for item in d.value["spec"]["data"].as_array().into_iter().flatten() {
                if let Some(k) = item["secretKey"].as_str() {
                    out.add_key(name, k);
                }
            }
            if let (Some(store), Some(path)) = (
                d.value["spec"]["secretStoreRef"]["name"].as_str(),
                d.value["spec"]["data"][0]["remoteRef"]["key"].as_str(),
            ) {
                out.stores
                    .insert(name.to_string(), (store.to_string(), path.to_string()));
            }
        }
        out
    }

    pub fn add_key(&mut self, name: &str, key: &str) {
        let keys = self.keys.entry(name.to_string()).or_default();
        if !key.is_empty() && !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }

    /// Whether the input names any key of this secret (else it is not declared: MC005).
    pub fn has_keys(&self, name: &str) -> bool {
        self.keys.get(name).is_some_and(|k| !k.is_empty())
    }

    /// A credential found in workload `w`'s env: a key of its own `<name>-env` secret, the
    /// value kept for the values file. Returns the spec's `env` line.
    pub fn credential(&mut self, w: &Doc, env: &str, value: &str) -> String {
        let secret = format!("{}-env", w.name());
        self.add_key(&secret, env);
        self.values.push(Value {
            secret: secret.clone(),
            key: env.to_string(),
            value: value.to_string(),
        });
        format!(
            "env {} secret={} key={}",
            quote(env),
            quote(&secret),
            quote(env)
        )
    }

    /// The `secret` declarations, each a block; `platform` is the name the spec gives the
    /// platform (maestroc's own `part-of` label, not written back).
    pub fn blocks(&self, platform: &str) -> Vec<Block> {
        let own = |k: &str, v: &str| {
            (k == "app.kubernetes.io/managed-by" && v == "maestroc")
                || (k == "app.kubernetes.io/part-of" && v == platform)
                || k == crate::emit::secrets::REQUIRED_KEYS_ANNOTATION
                || k.starts_with(crate::emit::CHECKOV_SKIP)
                || k == "kubectl.kubernetes.io/last-applied-configuration"
        };
        // A secret whose keys the input never names is not declared (MC005): whatever uses it
        // is carried by the residual patch.
        self.keys
            .iter()
            .filter(|(_, k)| !k.is_empty())
            .map(|(name, keys)| {
                let mut b = Block::new(format!("secret {}", quote(name)));
                b.line(format!(
                    "key {}",
                    keys.iter().map(|k| quote(k)).collect::<Vec<_>>().join(" ")
                ));
                if let Some((store, path)) = self.stores.get(name) {
                    b.line(format!("store {} path={}", quote(store), quote(path)));
                }
                let (labels, annotations) = self.meta.get(name).cloned().unwrap_or_default();
                for (node, pairs) in [("label", labels), ("annotation", annotations)] {
                    for (k, v) in pairs.iter().filter(|(k, v)| !own(k, v)) {
                        b.line(format!("{node} {} {}", quote(k), quote(v)));
                    }
                }
                b
            })
            .collect()
    }

    /// The values file (`secret.key=value` lines), added to what import writes, and what the
    /// summary says of it.
    pub fn write(&self, imported: &mut Imported) {
        if self.binary > 0 {
            let mut f = Finding::new(
                "MC301",
                format!(
                    "{} Secret value(s) in the input are binary: declared as keys, their values are not in the values file",
                    self.binary
                ),
            )
            .help("put them into your secret store by hand (`kubectl get secret … -o yaml` has them)");
            f.severity = crate::diagnostic::Severity::Warning;
            imported.findings.push(f);
        }
        if self.values.is_empty() {
            return;
        }
        let mut text = String::from(
            "# Credentials `maestroc import` found in the input (env values, Secrets' data), as\n\
             # `secret.key=value` lines — a value of several lines as `secret.key<<EOF`, its lines,\n\
             # `EOF` — for `maestroc secrets --from`. Keep this file out of Git; put the values in\n\
             # your store.\n",
        );
        for v in &self.values {
            // A value of several lines (a PEM key) in its delimited form.
            text.push_str(&crate::secrets_file::values_line(
                &v.secret, &v.key, &v.value,
            ));
        }
        imported.files.push((SECRETS_FILE.to_string(), text));
        let mut f = Finding::new(
            "MC301",
            format!(
                "{} credential(s) in the input became secret keys; their values are in the values file beside the spec",
                self.values.len()
            ),
        )
        .help("import added it to the .gitignore beside the spec; move the values into your secret store, and use `maestroc secrets --from` for a development cluster");
        // What import did, not drift in the input.
        f.severity = crate::diagnostic::Severity::Warning;
        imported.findings.push(f);
    }
}
