//! `maestroc build`: compile and write every output atomically.

use std::io::Write;

use super::input::{print_finding, print_findings, read_spec};
use super::{EXIT_INPUT, EXIT_OK, SpecArgs};
use crate::diagnostic::Finding;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Build only this environment's manifests (others are left as they are).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

pub fn run(args: &BuildArgs) -> u8 {
    let source = match read_spec(&args.spec.spec) {
        Ok(s) => s,
        Err(f) => {
            print_finding(*f);
            return EXIT_INPUT;
        }
    };
    let (compiled, findings) = crate::resolve::compile(&source.text);
    let findings = findings.into_sorted();
    print_findings(&findings, &source);
    let Some(compiled) = compiled else {
        eprintln!("build refused: the spec has errors; nothing was written");
        return EXIT_INPUT;
    };
    let mut files = match crate::emit::emit(&compiled) {
        Ok(f) => f,
        Err(e) => {
            print_finding(Finding::new("MC091", e.to_string()));
            return EXIT_INPUT;
        }
    };
    let mut scope: Vec<String> = vec!["k8s/".into(), "helm/".into(), "docs/".into()];
    if let Some(env) = &args.env {
        let names: Vec<&str> = compiled
            .platform
            .environments
            .iter()
            .map(|e| e.name.value.as_str())
            .collect();
        let known = if names.is_empty() {
            vec!["base"]
        } else {
            names
        };
        if !known.contains(&env.as_str()) {
            let hint = crate::spec::did_you_mean(env, known.iter().copied())
                .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            eprintln!(
                "error: no environment `{env}`{hint}; the spec declares: {}",
                known.join(", ")
            );
            return EXIT_INPUT;
        }
        let prefix = format!("k8s/{env}/");
        files.retain(|path, _| path.starts_with(&prefix));
        scope = vec![prefix];
    }
    let out_dir = args.spec.out_dir();
    match output::write(&out_dir, &files, &scope) {
        Ok(w) => {
            let _ = writeln!(
                std::io::stdout(),
                "maestroc: {} files in {} ({} changed, {} unchanged, {} removed)",
                files.len(),
                out_dir.display(),
                w.changed.len(),
                w.unchanged,
                w.removed.len()
            );
            EXIT_OK
        }
        Err(e) => {
            print_finding(
                Finding::new("MC091", e.to_string())
                    .help("nothing was replaced; fix the path or permissions and build again"),
            );
            EXIT_INPUT
        }
    }
}
