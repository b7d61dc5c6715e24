//! Reading the spec and printing findings, shared by every command that compiles.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::diagnostic::Finding;
use crate::emit::Files;
use crate::report::{self, SourceFile};
use crate::resolve::Compiled;

/// Reads the spec; a missing, unreadable or non-UTF-8 file is an MC090 finding.
pub fn read_spec(path: &Path) -> Result<SourceFile, Box<Finding>> {
    let bytes = crate::read::capped(path, crate::read::MAX_SPEC_BYTES).map_err(|e| {
        let help = if e.kind() == std::io::ErrorKind::FileTooLarge {
            "a spec this large is not a platform: split it, or check that --spec names the spec"
        } else {
            "pass the spec with `--spec PATH`; by default maestroc reads ./platform.kdl"
        };
        Box::new(Finding::new("MC090", format!("cannot read {}: {e}", path.display())).help(help))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Box::new(
            Finding::new(
                "MC090",
                format!(
                    "{} is not UTF-8 (invalid byte at offset {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ),
            )
            .help("KDL documents are UTF-8; re-save the file as UTF-8"),
        )
    })?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// Colour only on a terminal, and never when NO_COLOR is set.
pub fn use_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `--verbose`: every finding in full, none grouped. Set once, from the command line.
static VERBOSE: AtomicBool = AtomicBool::new(false);

pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Prints findings for a person on stderr.
pub fn print_findings(findings: &[Finding], source: &SourceFile) {
    if findings.is_empty() {
        return;
    }
    let text = report::human(findings, source, use_color(), verbose());
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Prints a finding that has no source text (I/O problems).
pub fn print_finding(finding: Finding) {
    print_findings(&[finding], &SourceFile::new("", ""));
}

/// `maestroc.toml` next to the spec, if there is one. Its problems are printed against its own
/// text; `Err` holds the exit code.
pub fn load_config(spec: &Path) -> Result<Config, u8> {
    let path = spec.parent().map_or_else(
        || Path::new("maestroc.toml").to_path_buf(),
        |d| d.join("maestroc.toml"),
    );
    let text = match crate::read::capped_text(&path, crate::read::MAX_SIDE_FILE_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            let mut f = Finding::new("MC090", format!("cannot read {}: {e}", path.display()));
            if e.kind() == std::io::ErrorKind::InvalidData {
                f = f.help("maestroc.toml is read as UTF-8 text: save it as UTF-8");
            }
            print_finding(f);
            return Err(super::EXIT_INPUT);
        }
    };
    Config::parse(&text).map_err(|findings| {
        print_findings(
            &findings,
            &SourceFile::new(path.display().to_string(), text),
        );
        super::EXIT_INPUT
    })
}

/// The environment a command works on: `wanted`, or the only one the spec has (`base` when
/// it declares none). A message on stderr and the exit code when neither names one.
pub fn target<'a>(
    platform: &'a crate::model::Platform,
    wanted: Option<&str>,
) -> Result<crate::target::Target<'a>, u8> {
    let targets = crate::target::Target::all(platform);
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    let wanted = match (wanted, targets.as_slice()) {
        (Some(w), _) => w,
        (None, [only]) => return Ok(*only),
        (None, _) => {
            eprintln!(
                "error: the spec declares several environments; choose one with --env: {}",
                names.join(", ")
            );
            return Err(super::EXIT_INPUT);
        }
    };
    targets
        .iter()
        .find(|t| t.name() == wanted)
        .copied()
        .ok_or_else(|| {
            let hint = crate::spec::did_you_mean(wanted, names.iter().copied())
                .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            eprintln!(
                "error: no environment `{wanted}`{hint}; the spec declares: {}",
                names.join(", ")
            );
            super::EXIT_INPUT
        })
}

/// Files the spec read through a loader, in order, for the build cache's input hash.
pub type Loaded = std::cell::RefCell<Vec<(String, Result<String, String>)>>;

/// `spec_dir_loader` that also records what it read into `loaded`.
pub fn recording_loader<'a>(
    spec: &Path,
    loaded: &'a Loaded,
) -> impl Fn(&str) -> Result<String, String> + 'a {
    let load = crate::read::spec_dir_loader(spec);
    move |rel: &str| {
        let result = load(rel);
        loaded.borrow_mut().push((rel.to_string(), result.clone()));
        result
    }
}

/// Reads, compiles and emits the spec, printing its findings. `Err` holds the exit code when
/// there is nothing to emit (unreadable spec or config, errors in the spec).
pub fn compile_spec(path: &Path, config: &Config) -> Result<(Compiled, Files), u8> {
    let (compiled, source, _) = compile_only(path, config)?;
    let files = emit_spec(&compiled, &source)?;
    Ok((compiled, files))
}

/// Reads and compiles the spec, printing only its errors (a report's preamble).
pub fn compile_quiet(path: &Path, config: &Config) -> Result<(Compiled, SourceFile), u8> {
    compile_showing(path, config, true).map(|(c, s, _)| (c, s))
}

/// Reads and compiles the spec, printing its findings; also the hash of every input the
/// output depends on (for the build cache).
pub fn compile_only(
    path: &Path,
    config: &Config,
) -> Result<(Compiled, SourceFile, crate::output::cache::Inputs), u8> {
    compile_showing(path, config, false)
}

/// As [`compile_spec`], printing only errors: what an edit command (`ports allocate`) shows
/// besides its edit.
pub fn compile_spec_quiet(path: &Path, config: &Config) -> Result<(Compiled, Files), u8> {
    let (compiled, source, _) = compile_showing(path, config, true)?;
    let files = emit_spec(&compiled, &source)?;
    Ok((compiled, files))
}

fn compile_showing(
    path: &Path,
    config: &Config,
    errors_only: bool,
) -> Result<(Compiled, SourceFile, crate::output::cache::Inputs), u8> {
    let source = read_spec(path).map_err(|f| {
        print_finding(*f);
        super::EXIT_INPUT
    })?;
    let loaded = Loaded::default();
    let (compiled, findings) =
        crate::resolve::compile_from(&source.text, config, &recording_loader(path, &loaded));
    let inputs = crate::output::cache::Inputs::of(&source.text, config, &loaded.borrow());
    let mut shown = findings.into_sorted();
    if errors_only {
        shown.retain(|f| f.severity == crate::diagnostic::Severity::Error);
    }
    print_findings(&shown, &source);
    let Some(compiled) = compiled else {
        eprintln!("the spec has errors; nothing was written");
        return Err(super::EXIT_INPUT);
    };
    Ok((compiled, source, inputs))
}

/// Emits a compiled spec; the spec's own mistake found while emitting is shown at its span.
pub fn emit_spec(compiled: &Compiled, source: &SourceFile) -> Result<Files, u8> {
    match crate::emit::emit(compiled) {
        Ok(files) => Ok(files),
        // The spec's own mistake (an invalid `patch`): shown at its span, like any finding.
        Err(e) if !e.findings.is_empty() => {
            print_findings(&e.findings, source);
            eprintln!("the spec has errors; nothing was written");
            Err(super::EXIT_INPUT)
        }
        Err(e) => {
            print_finding(Finding::new("MC091", e.to_string()));
            Err(super::EXIT_INPUT)
        }
    }
}
