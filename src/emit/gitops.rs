//! `output/gitops/`: the objects a GitOps controller needs to deliver every environment, when
//! the spec opts in with `gitops`. Argo CD: one `ApplicationSet` whose list generator has an
//! element per environment (its cluster, and the path of `output/k8s/<env>` or, with
//! `plugin=#true`, the spec for the maestroc plugin to render). Flux: a `GitRepository` and a
//! `Kustomization` per environment over the same paths. Both are custom resources without
//! k8s-openapi types: written as data here, and judged against the schemas in
//! `schemas/gitops/` by `tests/gitops.rs`.

use serde_json::{Value, json};

use super::Files;
use super::yaml::{YamlError, YamlFile};
use crate::model::{GitOps, GitOpsTool, Platform, is_api_server_url};
use crate::target::Target;

/// Where Argo CD's and Flux's own objects live.
const ARGOCD_NAMESPACE: &str = "argocd";
const FLUX_NAMESPACE: &str = "flux-system";
/// The API server of the cluster Argo CD runs in.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

fn labels(p: &Platform) -> Value {
    json!({
        "app.kubernetes.io/managed-by": "maestroc",
        "app.kubernetes.io/part-of": p.name.value,
    })
}

/// `output/k8s/<env>` (or the spec's directory for the plugin) as a path in the repository.
fn repo_path(g: &GitOps, tail: &str) -> String {
    let base = g.path.as_ref().map_or("", |p| p.value.trim_matches('/'));
    match (base, tail) {
        ("" | ".", "") => ".".to_string(),
        ("" | ".", t) => t.to_string(),
        (b, "") => b.to_string(),
        (b, t) => format!("{b}/{t}"),
    }
}

/// Whether Argo CD's destinations are API server URLs (`server`) or cluster names (`name`);
/// `resolve` refuses a spec that mixes them.
fn by_server(p: &Platform) -> bool {
    p.environments
        .iter()
        .filter_map(|e| e.cluster.as_ref())
        .all(|c| is_api_server_url(&c.value))
}

fn application_set(p: &Platform, g: &GitOps) -> Value {
    let server = by_server(p);
    let elements: Vec<Value> = Target::all(p)
        .iter()
        .map(|t| {
            let cluster = t
                .env
                .and_then(|e| e.cluster.as_ref())
                .map_or(if server { IN_CLUSTER } else { "in-cluster" }, |c| {
                    c.value.as_str()
                });
            json!({
                "env": t.name(),
                "cluster": cluster,
                "path": repo_path(g, &format!("output/k8s/{}", t.name())),
            })
        })
        .collect();
    let mut source = json!({
        "repoURL": g.repo.value,
        "targetRevision": g.revision.as_ref().map_or("HEAD", |r| r.value.as_str()),
        "path": "{{.path}}",
    });
    if g.plugin {
        source["path"] = json!(repo_path(g, ""));
        source["plugin"] = json!({
            "name": "maestroc-v1",
            "env": [{"name": "MAESTROC_ENV", "value": "{{.env}}"}],
        });
    }
    let destination = if server {
        json!({"server": "{{.cluster}}"})
    } else {
        json!({"name": "{{.cluster}}"})
    };
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": p.name.value, "namespace": ARGOCD_NAMESPACE, "labels": labels(p)},
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "template": {
                "metadata": {"name": format!("{}-{{{{.env}}}}", p.name.value), "labels": labels(p)},
                "spec": {
                    "project": g.project.as_ref().map_or("default", |x| x.value.as_str()),
                    "source": source,
                    "destination": destination,
                },
            },
        },
    })
}

fn flux(p: &Platform, g: &GitOps, file: &mut YamlFile) -> Result<(), YamlError> {
    let name = &p.name.value;
    file.push(
        "the Flux GitRepository",
        &json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": name, "namespace": FLUX_NAMESPACE, "labels": labels(p)},
            "spec": {
                "interval": "5m",
                "url": g.repo.value,
                "ref": {"branch": g.revision.as_ref().map_or("main", |r| r.value.as_str())},
            },
        }),
    )?;
    for t in Target::all(p) {
        let mut spec = json!({
            "interval": "10m",
            "path": format!("./{}", repo_path(g, &format!("output/k8s/{}", t.name()))),
            "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": name},
        });
        // Another cluster is reached through the kubeconfig in this Secret.
        if let Some(c) = t.env.and_then(|e| e.cluster.as_ref()) {
            spec["kubeConfig"] = json!({"secretRef": {"name": c.value}});
        }
        file.push(
            "a Flux Kustomization",
            &json!({
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": format!("{name}-{}", t.name()), "namespace": FLUX_NAMESPACE, "labels": labels(p)},
                "spec": spec,
            }),
        )?;
    }
    Ok(())
}

/// The files of every `gitops` node.
pub fn emit(p: &Platform, files: &mut Files) -> Result<(), YamlError> {
    for g in &p.gitops {
        let mut file = YamlFile::default();
        let path = match g.tool.value {
            GitOpsTool::ArgoCd => {
                file.push("the Argo CD ApplicationSet", &application_set(p, g))?;
                "gitops/argocd/applicationset.yaml"
            }
            GitOpsTool::Flux => {
                flux(p, g, &mut file)?;
                "gitops/flux/kustomizations.yaml"
            }
        };
        files.insert(path.to_string(), file.finish());
    }
    Ok(())
}
