//! `maestroc import PATH… [--spec platform.kdl] [--force]`: reads Kubernetes YAML (files,
//! directories recursively, `-` for stdin) and writes the platform.kdl that rebuilds it,
//! reporting the drift found on the way in (exit 1 when there is any).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::input::{print_finding, print_findings};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::diagnostic::{Finding, Severity};
use crate::report::SourceFile;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// YAML files or directories (read recursively); `-` reads stdin (`helm template … | maestroc import -`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write the spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: PathBuf,
    /// Overwrite an existing spec.
    #[arg(long)]
    pub force: bool,
    /// The environment that takes what all the input's workloads share (image pull policy,
    /// storage class); default "imported".
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

fn collect(path: &Path, out: &mut Vec<(String, String)>) -> Result<(), String> {
    if path == Path::new("-") {
        let text = crate::read::capped_from(std::io::stdin().lock(), crate::read::MAX_IMPORT_BYTES)
            .and_then(crate::read::utf8)
            .map_err(|e| format!("stdin: {e}"))?;
        out.push(("<stdin>".to_string(), text));
        return Ok(());
    }
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            let yaml = e.extension().is_some_and(|x| x == "yaml" || x == "yml");
            if e.is_dir() || yaml {
                collect(&e, out)?;
            }
        }
        return Ok(());
    }
    let text = crate::read::capped_text(path, crate::read::MAX_IMPORT_BYTES)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    out.push((path.display().to_string(), text));
    Ok(())
}

pub fn run(args: &ImportArgs) -> u8 {
    let mut inputs = Vec::new();
    for p in &args.paths {
        if let Err(e) = collect(p, &mut inputs) {
            print_finding(Finding::new("MC090", format!("cannot read {e}")));
            return EXIT_INPUT;
        }
    }
    let imported = match crate::import::import_as(&inputs, args.env.as_deref()) {
        Ok(i) => i,
        Err(f) => {
            print_finding(*f);
            return EXIT_INPUT;
        }
    };
    // What import writes is fmt-canonical; a spec it cannot format is a bug of import's.
    let spec = match crate::fmt::format(&imported.spec) {
        Ok(s) => s,
        Err(findings) => {
            print_findings(
                &findings,
                &SourceFile::new("imported spec", imported.spec.as_str()),
            );
            return EXIT_INPUT;
        }
    };
    if let Err(e) = crate::output::write_new(&args.spec, &spec, args.force) {
        print_finding(
            Finding::new("MC091", e.to_string())
                .help("pass --force to replace it, or --spec to write elsewhere"),
        );
        return EXIT_INPUT;
    }
    let dir = match args.spec.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    for (name, text) in &imported.files {
        let written = crate::output::write_new(&dir.join(name), text, args.force).and_then(|()| {
            if name == crate::import::SECRETS_FILE {
                crate::output::ignore_in_git(&dir, name)
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            print_finding(
                Finding::new("MC091", e.to_string())
                    .help("pass --force to replace it, or --spec to write elsewhere"),
            );
            return EXIT_INPUT;
        }
    }
    print_findings(&imported.findings, &SourceFile::new("", ""));
    let c = imported.counts;
    let _ = writeln!(
        std::io::stdout(),
        "maestroc: {} services from {} file(s) into {}; {} finding(s) on the way in\n\
         {} objects, {} fields read: {} said natively, {} in patches, {} in extra files, {} not carried",
        imported.services,
        inputs.len(),
        args.spec.display(),
        imported.findings.len(),
        c.objects,
        c.fields,
        c.native(),
        c.patched,
        c.extra,
        c.not_carried
    );
    if let Some(short) = short_of_restricted(&args.spec) {
        let _ = writeln!(
            std::io::stdout(),
            "{short} service(s) fall short of Pod Security `restricted` as imported (kept as they run): `maestroc harden --spec {}` lists what to tighten",
            args.spec.display()
        );
    }
    if imported
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error)
    {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// How many services of the written spec have a final pod below `restricted` in its first
/// environment (the one import writes); None when none do or the spec does not compile (its
/// errors are then shown).
fn short_of_restricted(spec: &std::path::Path) -> Option<usize> {
    let config = super::input::load_config(spec).ok()?;
    let (c, _) = super::input::compile_quiet(spec, &config).ok()?;
    let t = *crate::target::Target::all(&c.platform).first()?;
    let pods = crate::emit::final_pods(&t, &c.graph).ok()?;
    let items = crate::verify::harden::report(&t, &pods);
    let short = crate::verify::harden::services(&items).len();
    (short > 0).then_some(short)
}
