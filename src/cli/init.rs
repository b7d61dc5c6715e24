//! `maestroc init`: a commented starter `platform.kdl` (or one of the bundled examples), and
//! `maestroc completions SHELL` / `maestroc man`, generated from the CLI's own definition.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;

use super::input::print_finding;
use super::{Cli, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Example {
    /// The ML platform bundled with maestroc (MLflow, Feast, Airflow, MinIO, observability).
    MlPlatform,
    /// The agent fleet of the design (orchestrator, context, planning, NATS, Neo4j, …).
    AgentFleet,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write the spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: PathBuf,
    /// Start from a complete example instead of the minimal starter.
    #[arg(long, value_enum)]
    pub example: Option<Example>,
    /// Overwrite an existing spec.
    #[arg(long)]
    pub force: bool,
}

/// The minimal starter: every node a first platform needs, each commented.
const STARTER: &str = r#"// platform.kdl: the single source of truth for the platform's services, ports, secrets
// and dependencies. `maestroc build` turns it into output/; `maestroc check` keeps the
// repository in line with it. Reference: the README's "The spec" section.

platform "my-platform" {
    namespace "my-platform"         // where services run unless they say otherwise
    node-ports 30500 30599          // the NodePort registry (inside 30000-32767)
    kubernetes "1.33"
}

defaults {
    value LOG_LEVEL "info"          // -> ConfigMap service-defaults, read by every workload
    resources cpu="100m" memory="128Mi" cpu-limit="500m" memory-limit="512Mi"
}

secret "db" {                       // names and keys only: values live in your secret store
    key POSTGRES_PASSWORD
}

service "postgres" {
    workload "statefulset"
    image "postgres:16.4"
    port postgres 5432 scheme="postgresql"
    env POSTGRES_PASSWORD secret="db"
    health tcp=postgres
    volume data "/var/lib/postgresql/data" size="5Gi"
    run-as-user 999                 // the image's postgres user
    writable "/var/run/postgresql"  // the root filesystem is read-only by default
}

service "api" {
    image "registry.local/my-platform/api:0.1.0"
    port http 8080 scheme="http" node-port=30500
    depends-on postgres             // receives POSTGRES_PORT and POSTGRES_ADDRESS
    env DATABASE_URL "postgresql://{POSTGRES_ADDRESS}/app"
    health http="/healthz" port=http
    source "services/api"           // where its code lives, for `maestroc check --scan`
}

environment "dev" {
    storage-class "standard"
    image-pull-policy "IfNotPresent"
    node-cidr "192.168.49.0/24"     // the nodes' network (minikube's): what NodePorts admit
    external-secrets #false         // fill Secrets with `maestroc secrets --from .env.local`
}
"#;

pub fn run(args: &InitArgs) -> u8 {
    let text = match args.example {
        None => STARTER,
        Some(Example::MlPlatform) => include_str!("../../platform.kdl"),
        Some(Example::AgentFleet) => include_str!("../../tests/fixtures/fleet/platform.kdl"),
    };
    match crate::output::write_new(&args.spec, text, args.force) {
        Ok(()) => {
            let _ = writeln!(
                std::io::stdout(),
                "maestroc: wrote {}; next: `maestroc build --spec {}`",
                args.spec.display(),
                args.spec.display()
            );
            EXIT_OK
        }
        Err(e) => {
            print_finding(
                Finding::new("MC091", e.to_string())
                    .help("pass --force to replace it, or --spec to write elsewhere"),
            );
            EXIT_INPUT
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(args: &CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "maestroc", &mut std::io::stdout());
    EXIT_OK
}

pub fn man() -> u8 {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    if man.render(&mut out).is_err() {
        return EXIT_INPUT;
    }
    let _ = std::io::stdout().write_all(&out);
    EXIT_OK
}
