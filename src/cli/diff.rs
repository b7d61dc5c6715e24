//! `maestroc diff`: a unified diff of what `build` would change in output/. Exit 1 on drift.
//! With `--live`, the running cluster against the build instead (`live.rs`).

use std::io::{IsTerminal, Write};

use super::input::{compile_spec, load_config, print_finding};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, SpecArgs};
use crate::diagnostic::Finding;
use crate::output::{self, Drift};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub live: super::live::LiveArgs,
}

pub fn run(args: &DiffArgs) -> u8 {
    if args.live.live {
        return super::live::run(&args.spec.spec, &args.live);
    }
    let ((_, files), config) = match load_config(&args.spec.spec)
        .and_then(|config| compile_spec(&args.spec.spec, &config).map(|c| (c, config)))
    {
        Ok(c) => c,
        Err(code) => return code,
    };
    let out_dir = args.spec.out_dir(&config);
    let drift = match output::compare(&out_dir, &files, &output::full_scope()) {
        Ok(d) => d,
        Err(e) => {
            print_finding(Finding::new("MC091", e.to_string()));
            return EXIT_INPUT;
        }
    };
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut text = String::new();
    for d in &drift {
        let (path, new) = match d {
            Drift::Missing { path } | Drift::Changed { path, .. } => (path, files[path].as_str()),
            Drift::Extra { path } => (path, ""),
        };
        let old = match output::read_existing(&out_dir, path) {
            Ok(o) => o,
            Err(e) => {
                print_finding(Finding::new("MC091", e.to_string()));
                return EXIT_INPUT;
            }
        };
        let shown = out_dir.join(path).display().to_string();
        let diff = similar::TextDiff::from_lines(old.as_str(), new)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{shown}"), &format!("b/{shown}"))
            .to_string();
        for line in diff.lines() {
            let painted = match line.as_bytes().first() {
                Some(b'+') if color && !line.starts_with("+++") => format!("\x1b[32m{line}\x1b[0m"),
                Some(b'-') if color && !line.starts_with("---") => format!("\x1b[31m{line}\x1b[0m"),
                Some(b'@') if color => format!("\x1b[36m{line}\x1b[0m"),
                _ => line.to_string(),
            };
            text.push_str(&painted);
            text.push('\n');
        }
    }
    let _ = std::io::stdout().write_all(text.as_bytes());
    if drift.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}
