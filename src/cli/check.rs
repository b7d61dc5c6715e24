//! `maestroc check`: lint the spec and verify output/ is what the spec builds. Writes nothing.

use std::io::Write;

use super::input::{load_config, read_spec, use_color};
use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, SpecArgs};
use crate::diagnostic::{Finding, Findings, Severity};
use crate::output::{self, Drift};
use crate::report::{self, SourceFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Exit 1 on warnings too.
    Warnings,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors for the exit code.
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// Scan these directories (default: the spec's) for code and manifests that disagree
    /// with the spec.
    #[arg(long, num_args = 0.., value_name = "PATH")]
    pub scan: Option<Vec<std::path::PathBuf>>,
    /// Accept the findings recorded in FILE (a JSON baseline): only new ones are reported and
    /// fail the check.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<std::path::PathBuf>,
    /// Record today's errors and warnings in FILE as the accepted baseline, then exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<std::path::PathBuf>,
    /// Build the output again to compare it even when the cache (`.maestroc_cache/`) shows
    /// it is what these inputs built, and leave the cache as it is.
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(args: &CheckArgs) -> u8 {
    let config = match load_config(&args.spec.spec) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let source = match read_spec(&args.spec.spec) {
        Ok(s) => s,
        Err(f) => {
            print(
                args.format,
                &[*f],
                &SourceFile::new(args.spec.spec.display().to_string(), ""),
            );
            return EXIT_INPUT;
        }
    };
    let timings = std::env::var_os("MAESTROC_TIMINGS").is_some();
    let started = std::time::Instant::now();
    let loaded = super::input::Loaded::default();
    let (compiled, mut findings) = crate::resolve::compile_from(
        &source.text,
        &config,
        &super::input::recording_loader(&args.spec.spec, &loaded),
    );
    let mut stats = None;
    if let Some(compiled) = &compiled {
        let out_dir = args.spec.out_dir(&config);
        let compiled_at = started.elapsed();
        let inputs = output::cache::Inputs::of(&source.text, &config, &loaded.borrow());
        let current =
            !args.no_cache && output::cache::output_is_current(&args.spec.spec, &out_dir, &inputs);
        if current && timings {
            eprintln!(
                "timings: compile {compiled_at:.1?}, cached output verified {:.1?}",
                started.elapsed() - compiled_at
            );
        }
        if !current {
            match crate::emit::emit(compiled) {
                Ok(files) => {
                    let emitted_at = started.elapsed();
                    if output_drift(&out_dir, &files, &mut findings) && !args.no_cache {
                        output::cache::record(&args.spec.spec, &out_dir, &inputs, &files);
                    }
                    if timings {
                        eprintln!(
                            "timings: compile {compiled_at:.1?}, emit {:.1?}, compare {:.1?}",
                            emitted_at - compiled_at,
                            started.elapsed() - emitted_at
                        );
                    }
                    // The process is about to exit: freeing millions of small strings one by
                    // one would cost more than the comparison itself.
                    std::mem::forget(files);
                }
                // The spec's own mistakes found while emitting, at their spans.
                Err(e) if !e.findings.is_empty() => findings.extend(e.findings),
                Err(e) => findings.push(Finding::new("MC091", e.to_string())),
            }
        }
        // The shared NodePort registry, when the spec names one.
        crate::registry::check_named(&compiled.platform, &args.spec.spec, &mut findings);
        let spec_dir = match args.spec.spec.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        // `--scan PATH…` wins; `--scan` alone or a `[scan]` table scans the configured roots
        // (default: the spec's directory).
        let roots = match (&args.scan, &config.scan) {
            (Some(paths), _) if !paths.is_empty() => Some(paths.clone()),
            (_, Some(sc)) if !sc.include.is_empty() => {
                Some(sc.include.iter().map(|p| spec_dir.join(p)).collect())
            }
            (Some(_), _) | (None, Some(_)) => Some(vec![spec_dir.clone()]),
            (None, None) => None,
        };
        let globs = config
            .scan
            .as_ref()
            .map_or(Vec::new(), |s| s.exclude.clone());
        if let Some(roots) = roots {
            for root in &roots {
                if !root.is_dir() {
                    print(
                        args.format,
                        &[Finding::new(
                            "MC090",
                            format!("cannot scan {}: not a directory", root.display()),
                        )],
                        &source,
                    );
                    return EXIT_INPUT;
                }
            }
            let (scanned, s) = crate::scan::scan(
                &compiled.platform,
                &spec_dir,
                &roots,
                &[
                    out_dir,
                    args.spec.spec.clone(),
                    spec_dir.join("maestroc.toml"),
                ]
                .into_iter()
                // Files the spec ships (`extra`, `patch file=`) are part of the spec, not
                // hand-written manifests that could drift from it.
                .chain(compiled.platform.services.iter().flat_map(|s| {
                    s.extras.iter().map(|e| spec_dir.join(&e.path.value)).chain(
                        s.patches
                            .iter()
                            .filter_map(|p| p.file.as_ref().map(|f| spec_dir.join(&f.value))),
                    )
                }))
                .chain(
                    compiled
                        .platform
                        .environments
                        .iter()
                        .flat_map(|e| &e.services)
                        .flat_map(|o| &o.patches)
                        .filter_map(|p| p.file.as_ref().map(|f| spec_dir.join(&f.value))),
                )
                .collect::<Vec<_>>(),
                &globs,
                config
                    .scan
                    .as_ref()
                    .map_or(&[][..], |s| s.charts.as_slice()),
            );
            let optional: Vec<String> = config
                .scan
                .as_ref()
                .map_or(Vec::new(), |s| s.optional_env.clone());
            // `[scan] optional-env`: reads whose absence from a manifest is intended.
            findings.extend(scanned.into_iter().filter(|f| {
                f.rule.code != "MC203"
                    || !optional
                        .iter()
                        .any(|v| f.message.contains(&format!(" reads {v}, ")))
            }));
            stats = Some(s);
        }
    }
    // Drift findings came after compile_with applied the levels.
    let mut findings = config.apply(findings).into_sorted();
    let spec_name = args.spec.spec.display().to_string();
    if let Some(path) = &args.write_baseline {
        return match super::baseline::write(path, &findings, &spec_name) {
            Ok(n) => {
                eprintln!("maestroc: {n} finding(s) recorded in {}", path.display());
                EXIT_OK
            }
            Err(e) => {
                print(
                    args.format,
                    &[Finding::new("MC091", format!("{}: {e}", path.display()))],
                    &source,
                );
                EXIT_INPUT
            }
        };
    }
    if let Some(path) = &args.baseline {
        match super::baseline::read(path) {
            Ok(b) => {
                let (kept, accepted) = super::baseline::apply(&b, findings, &spec_name);
                findings = kept;
                if accepted > 0 && args.format == Format::Human {
                    eprintln!(
                        "maestroc: {accepted} finding(s) accepted by the baseline {}",
                        path.display()
                    );
                }
            }
            Err(e) => {
                print(args.format, &[Finding::new("MC090", e)], &source);
                return EXIT_INPUT;
            }
        }
    }
    print(args.format, &findings, &source);
    if let (Some(s), Format::Human) = (&stats, args.format) {
        eprintln!(
            "scanned {} files (skipped: {} binary, {} too large, {} not UTF-8, {} unreadable)",
            s.scanned, s.binary, s.too_large, s.not_utf8, s.unreadable
        );
    }
    let worst = findings.iter().map(|f| f.severity).max();
    let syntax_broken = compiled.is_none() && findings.iter().any(|f| f.code() == "MC001");
    std::mem::forget(compiled);
    match worst {
        _ if syntax_broken => EXIT_INPUT,
        Some(Severity::Error) => EXIT_FINDINGS,
        Some(Severity::Warning) if args.deny == Some(Deny::Warnings) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}

/// Adds a finding for each way `out_dir` differs from `files`; true when it does not differ.
fn output_drift(
    out_dir: &std::path::Path,
    files: &crate::emit::Files,
    findings: &mut Findings,
) -> bool {
    let shown = |rel: &str| out_dir.join(rel).display().to_string();
    if !out_dir.exists() {
        findings.push(
            Finding::new("MC205", format!("{} does not exist", out_dir.display()))
                .in_file(out_dir.display().to_string(), 1, 1)
                .help("run `maestroc build` to generate it"),
        );
        return false;
    }
    match output::compare(out_dir, files, &output::full_scope()) {
        Ok(drift) => {
            let clean = drift.is_empty();
            for d in drift {
                findings.push(match d {
                    Drift::Missing { path } => Finding::new("MC205", "generated file is missing")
                        .in_file(shown(&path), 1, 1)
                        .help("run `maestroc build`"),
                    Drift::Extra { path } => Finding::new(
                        "MC205",
                        "generated file is no longer produced by the spec",
                    )
                    .in_file(shown(&path), 1, 1)
                    .help("run `maestroc build` to remove it"),
                    Drift::Changed {
                        path,
                        line,
                        expected,
                        found,
                    } => Finding::new(
                        "MC205",
                        format!(
                            "differs from the spec's build: expected `{}`, found `{}`",
                            expected.trim(),
                            found.trim()
                        ),
                    )
                    .in_file(shown(&path), line, 1)
                    .help("generated files are not edited by hand: change platform.kdl and run `maestroc build` (`maestroc diff` shows the change)"),
                });
            }
            clean
        }
        Err(e) => {
            findings.push(Finding::new("MC091", e.to_string()));
            false
        }
    }
}

fn print(format: Format, findings: &[Finding], source: &SourceFile) {
    print_as("check", format, findings, source);
}

/// Findings in `format`; the human summary line names `command`.
pub(super) fn print_as(command: &str, format: Format, findings: &[Finding], source: &SourceFile) {
    let text = match format {
        Format::Human => {
            let mut t = report::human(findings, source, use_color(), super::input::verbose());
            let s = report::summary(findings);
            t.push_str(&format!(
                "maestroc {command}: {} error{}, {} warning{}\n",
                s.errors,
                if s.errors == 1 { "" } else { "s" },
                s.warnings,
                if s.warnings == 1 { "" } else { "s" }
            ));
            let _ = std::io::stderr().write_all(t.as_bytes());
            return;
        }
        Format::Json => report::json(findings, source),
        Format::Sarif => report::sarif(findings, source),
        Format::Github => report::github(findings, source),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
}
