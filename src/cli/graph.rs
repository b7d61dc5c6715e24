//! `maestroc graph`: the dependency graph as Mermaid, DOT or JSON.

use std::io::Write;

use super::EXIT_OK;
use super::input::{compile_spec, load_config};
use crate::emit::graph::{self, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: std::path::PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// Only the services enabled in this environment.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

pub fn run(args: &GraphArgs) -> u8 {
    let (compiled, _) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Without --env, the graph of every environment.
    let target = match &args.env {
        None => None,
        Some(name) => match super::input::target(&compiled.platform, Some(name)) {
            Ok(t) => Some(t),
            Err(code) => return code,
        },
    };
    let view = View {
        platform: &compiled.platform,
        graph: &compiled.graph,
        target,
    };
    let text = match args.format {
        GraphFormat::Mermaid => graph::mermaid(&view),
        GraphFormat::Dot => graph::dot(&view),
        GraphFormat::Json => graph::json(&view),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    EXIT_OK
}
