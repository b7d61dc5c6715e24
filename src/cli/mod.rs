//! Command-line interface: clap types and one module per subcommand.
//!
//! Exit codes: 0 success, 1 findings at error level or drift, 2 usage or input error.

mod baseline;
mod build;
mod check;
mod diff;
mod explain;
mod fmt;
mod graph;
mod harden;
mod import;
mod init;
mod input;
mod live;
mod ports;
mod render;
mod secrets;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "maestroc",
    version,
    about = "Compile platform.kdl into Kubernetes manifests and keep the repository in line with it"
)]
pub struct Cli {
    /// Show every finding in full instead of grouping repeats of one rule.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile the spec and write every output atomically.
    Build(build::BuildArgs),
    /// Lint the spec and verify output/ is what it builds; writes nothing.
    Check(check::CheckArgs),
    /// Show, as a unified diff, what `build` would change in output/; with --live, how the
    /// running cluster differs from the build.
    Diff(diff::DiffArgs),
    /// Print one environment's objects as a YAML stream, in apply order (for `kubectl apply -f -`).
    Render(render::RenderArgs),
    /// Print the dependency graph (Mermaid, DOT or JSON).
    Graph(graph::GraphArgs),
    /// Print the port allocation table, or allocate a NodePort.
    Ports(ports::PortsArgs),
    /// Rewrite platform.kdl in its canonical layout (or, with --check, only report).
    Fmt(fmt::FmtArgs),
    /// Explain a rule: what it catches, why, how to fix it, an example.
    Explain(explain::ExplainArgs),
    /// Print an environment's Secrets filled from a local file, for `kubectl apply -f -`.
    Secrets(secrets::SecretsArgs),
    /// Read existing Kubernetes YAML and write the platform.kdl that rebuilds it.
    Import(import::ImportArgs),
    /// Report what maestroc would tighten, service by service: each Pod Security control a final pod fails below `restricted`, at the spec line that sets it.
    Harden(harden::HardenArgs),
    /// Write a commented starter platform.kdl (or a bundled example).
    Init(init::InitArgs),
    /// Print shell completions (bash, zsh, fish, powershell, elvish).
    Completions(init::CompletionsArgs),
    /// Print the man page (roff).
    Man,
    /// Serve the Language Server Protocol on stdin/stdout: check's diagnostics as you type,
    /// hover, go-to-definition, references, completion, quick fixes, formatting.
    Lsp(LspArgs),
}

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it (VS Code's client does); stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INPUT } else { EXIT_OK };
            // A closed stdout (`maestroc --help | head`) is not an error.
            let _ = e.print();
            return code;
        }
    };
    input::set_verbose(cli.verbose);
    match cli.command {
        Command::Build(args) => build::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Ports(args) => ports::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Secrets(args) => secrets::run(&args),
        Command::Harden(args) => harden::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => init::completions(&args),
        Command::Man => init::man(),
        Command::Lsp(_) => match crate::lsp::run_stdio() {
            Ok(()) => EXIT_OK,
            Err(e) => {
                input::print_finding(crate::diagnostic::Finding::new(
                    "MC090",
                    format!("lsp: {e}"),
                ));
                EXIT_INPUT
            }
        },
    }
}

/// Arguments shared by commands that read a spec.
#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: PathBuf,
    /// Output directory [default: `output/` next to the spec].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl SpecArgs {
    /// `--out`, else `[output] dir` of maestroc.toml, else `output/`; the latter two relative
    /// to the spec's directory, not the working directory.
    pub fn out_dir(&self, config: &crate::config::Config) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let dir = config.output_dir.as_deref().unwrap_or("output");
            self.spec
                .parent()
                .map_or_else(|| PathBuf::from(dir), |d| d.join(dir))
        })
    }
}
