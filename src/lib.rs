//! maestroc: one `platform.kdl` → Kubernetes manifests, the central `service-ports`
//! ConfigMap, and the checks that keep the rest of the repository in line with it.
//!
//! The pipeline, one module per stage: `spec` (KDL → model) → `resolve` (references, ports,
//! environments) → `graph` (dependencies, order) → `emit` (model → files, judged by `verify`) → `output` (the only
//! writer). `rules` is the catalogue of codes; `diagnostic` and `report` carry findings.

// values.schema.json is one `serde_json::json!` literal, deeper than the default limit.
#![recursion_limit = "256"]

pub mod cli;
pub mod config;
pub mod credential;
pub mod diagnostic;
pub mod edit;
pub mod emit;
pub mod fmt;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod import;
pub mod lint;
pub mod live;
pub mod lsp;
pub mod model;
pub mod output;
pub mod read;
pub mod registry;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod scan;
pub mod secrets_file;
pub mod server_defaults;
pub mod spec;
pub mod target;
pub mod verify;
