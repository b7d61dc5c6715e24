//! `maestroc build`: compile and write every output atomically.

use std::io::Write;

use super::input::{compile_only, emit_spec, load_config, print_finding};
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
    /// Emit and compare every file even when the build cache (`.maestroc_cache/`) shows the
    /// output is what these inputs built, and record nothing there.
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(args: &BuildArgs) -> u8 {
    let ((compiled, source, inputs), config) = match load_config(&args.spec.spec)
        .and_then(|config| compile_only(&args.spec.spec, &config).map(|c| (c, config)))
    {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Output that provably is what these inputs build (see output/cache.rs) needs no writing:
    // the message is the one a build that changed nothing prints.
    if !args.no_cache && args.env.is_none() {
        let out_dir = args.spec.out_dir(&config);
        if let Some(n) = output::cache::current_files(&args.spec.spec, &out_dir, &inputs) {
            let _ = writeln!(
                std::io::stdout(),
                "maestroc: {n} files in {} (0 changed, {n} unchanged, 0 removed)",
                out_dir.display()
            );
            std::mem::forget(compiled);
            return EXIT_OK;
        }
    }
    let mut files = match emit_spec(&compiled, &source) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut scope = output::full_scope();
    if let Some(env) = &args.env {
        if let Err(code) = super::input::target(&compiled.platform, Some(env)) {
            return code;
        }
        let prefix = format!("k8s/{env}/");
        files.retain(|path, _| path.starts_with(&prefix));
        scope = vec![prefix];
    }
    let out_dir = args.spec.out_dir(&config);
    // Two builds into one output/ would remove each other's staging files: the second waits.
    let _lock = match output::lock(&out_dir, || {
        eprintln!(
            "maestroc: another build holds {}; waiting for it to finish",
            out_dir.display()
        )
    }) {
        Ok(lock) => lock,
        Err(e) => {
            print_finding(not_written(&out_dir, &e));
            return EXIT_INPUT;
        }
    };
    let written = output::write(&out_dir, &files, &scope);
    // The cache says which whole output these inputs built; a build of one environment, or
    // one that failed, leaves no claim about the whole.
    if written.is_ok() && args.env.is_none() && !args.no_cache {
        output::cache::record(&args.spec.spec, &out_dir, &inputs, &files);
    } else {
        output::cache::forget(&args.spec.spec, &out_dir);
    }
    // The process is about to exit: freeing every emitted string one by one is wasted time.
    std::mem::forget(files);
    std::mem::forget(compiled);
    match written {
        Ok(w) => {
            let _ = writeln!(
                std::io::stdout(),
                "maestroc: {} files in {} ({} changed, {} unchanged, {} removed)",
                w.changed.len() + w.unchanged,
                out_dir.display(),
                w.changed.len(),
                w.unchanged,
                w.removed.len()
            );
            EXIT_OK
        }
        Err(e) => {
            print_finding(not_written(&out_dir, &e));
            EXIT_INPUT
        }
    }
}

/// MC091 with the help the cause calls for: a full disk, a read-only location, a refused path.
fn not_written(out_dir: &std::path::Path, e: &output::OutputError) -> Finding {
    let kind = match e {
        output::OutputError::Io { source, .. } => Some(source.kind()),
        output::OutputError::Foreign { .. } => None,
    };
    let dir = out_dir.display();
    let help = match kind {
        Some(std::io::ErrorKind::StorageFull) => format!(
            "the disk holding {dir} is full: free space there and build again; {dir} was left as it was"
        ),
        Some(std::io::ErrorKind::ReadOnlyFilesystem) => format!(
            "{dir} is on a read-only file system: build with `--out` elsewhere, or remount it; {dir} was left as it was"
        ),
        Some(std::io::ErrorKind::PermissionDenied) => format!(
            "no permission to write in {dir}: fix its owner or mode, or build with `--out` elsewhere; nothing was replaced"
        ),
        _ => "nothing was replaced; fix the path or permissions and build again".to_string(),
    };
    Finding::new("MC091", e.to_string()).help(help)
}
