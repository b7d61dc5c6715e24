//! `maestroc fmt [--check]`: canonical layout of platform.kdl, written atomically.

use super::input::{print_finding, print_findings, read_spec};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::Finding;

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: std::path::PathBuf,
    /// Change nothing; exit 1 when the file is not in canonical layout.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &FmtArgs) -> u8 {
    let source = match read_spec(&args.spec) {
        Ok(s) => s,
        Err(f) => {
            print_finding(*f);
            return EXIT_INPUT;
        }
    };
    let formatted = match crate::fmt::format(&source.text) {
        Ok(f) => f,
        Err(findings) => {
            print_findings(&findings, &source);
            return EXIT_INPUT;
        }
    };
    if formatted == *source.text {
        return EXIT_OK;
    }
    if args.check {
        eprintln!(
            "{} is not formatted; run `maestroc fmt --spec {}`",
            args.spec.display(),
            args.spec.display()
        );
        return EXIT_FINDINGS;
    }
    match crate::output::replace_spec(&args.spec, &formatted) {
        Ok(()) => {
            println!("formatted {}", args.spec.display());
            EXIT_OK
        }
        Err(e) => {
            print_finding(Finding::new("MC091", e.to_string()));
            EXIT_INPUT
        }
    }
}
