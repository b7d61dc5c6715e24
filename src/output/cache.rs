//! The build cache: which generated files a build of which inputs produced, so that `check`
//! can tell the output is current without building it again.
//!
//! Why: at 1,000 services emitting the whole output (21 MB, ~2,000 files) to compare it byte
//! for byte was 180 of `check`'s ~220 ms. `build` (and a `check` that found no drift) records
//! a hash of everything the output depends on — this binary, the spec, `maestroc.toml`'s
//! settings, every file the spec reads — and a hash of each generated file. The next `check`
//! trusts the output only when the inputs hash the same *and* the generated files on disk are
//! exactly the recorded ones, byte for byte (each is read and hashed; no timestamps are
//! trusted). Anything else takes the full path, which reports drift line by line.
//!
//! The cache lives in `.maestroc_cache/` beside the spec, with a `.gitignore` of `*` so it is
//! never committed (as ruff and pytest do); `--no-cache` bypasses it. Failing to write it is
//! not an error: it is only a cache.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::{MANAGED_DIRS, is_generated};
use crate::emit::Files;

const DIR: &str = ".maestroc_cache";

/// A 128-bit digest, written as hex.
type Digest = String;

fn hex(h: u128) -> Digest {
    format!("{h:032x}")
}

fn digest(bytes: &[u8]) -> Digest {
    hex(xxhash_rust::xxh3::xxh3_128(bytes))
}

/// What the output of a build depends on, hashed.
pub struct Inputs(Digest);

impl Inputs {
    /// `config` is everything from `maestroc.toml` that may shape the output; `loaded` the
    /// files the spec read (`patch file=`, `extra`), in the order it read them.
    pub fn of(
        spec: &str,
        config: &crate::config::Config,
        loaded: &[(String, Result<String, String>)],
    ) -> Self {
        // Every setting, as its debug form: a new one cannot be forgotten here.
        let settings = format!("{config:?}");
        let settings = settings.as_str();
        let mut h = Xxh3::new();
        // Another maestroc may build other output from the same spec: the binary is an input.
        h.update(binary_identity().as_bytes());
        for part in [spec, settings] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        for (rel, content) in loaded {
            let (tag, text) = match content {
                Ok(t) => ("ok", t),
                Err(e) => ("err", e),
            };
            for part in [rel.as_str(), tag, text.as_str()] {
                h.update(&(part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
        }
        Inputs(hex(h.digest128()))
    }
}

/// The version, and the size and modification time of the running executable: a rebuilt or
/// reinstalled maestroc never trusts an entry an older one wrote.
fn binary_identity() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| fs::metadata(p).ok())
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{mtime}", m.len())
        })
        .unwrap_or_default();
    format!("maestroc {} {exe}", env!("CARGO_PKG_VERSION"))
}

#[derive(Serialize, Deserialize)]
struct Entry {
    inputs: Digest,
    /// Every generated file of the output, relative to it, with its digest.
    files: BTreeMap<String, Digest>,
}

/// The cache file for this spec and output directory.
fn entry_path(spec: &Path, out: &Path) -> PathBuf {
    let dir = match spec.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let abs = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let key = format!("{}\n{}", abs(spec).display(), abs(out).display());
    let name = format!("output-{}.json", &digest(key.as_bytes())[..16]);
    dir.join(DIR).join(name)
}

/// Records that `files` is the whole output of `inputs` in `out`. Best effort.
pub fn record(spec: &Path, out: &Path, inputs: &Inputs, files: &Files) {
    let entry = Entry {
        inputs: inputs.0.clone(),
        files: files
            .iter()
            .map(|(rel, text)| (rel.clone(), digest(text.as_bytes())))
            .collect(),
    };
    let _ = write_entry(&entry_path(spec, out), &entry);
}

/// Drops the entry (after a build that wrote only part of the output, say). Best effort.
pub fn forget(spec: &Path, out: &Path) {
    let _ = fs::remove_file(entry_path(spec, out));
}

fn write_entry(path: &Path, entry: &Entry) -> io::Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    if !dir.is_dir() {
        fs::create_dir_all(dir)?;
        fs::write(
            dir.join(".gitignore"),
            "# maestroc's cache; never committed\n*\n",
        )?;
        fs::write(
            dir.join("CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55\n# maestroc's build cache\n",
        )?;
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, entry)?;
    tmp.flush()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// True when `out` holds exactly what a build of `inputs` wrote there, as recorded.
pub fn output_is_current(spec: &Path, out: &Path, inputs: &Inputs) -> bool {
    current_files(spec, out, inputs).is_some()
}

/// The number of generated files, when `out` holds exactly what a build of `inputs` wrote
/// there, as recorded.
pub fn current_files(spec: &Path, out: &Path, inputs: &Inputs) -> Option<usize> {
    let text = fs::read(entry_path(spec, out)).ok()?;
    let entry = serde_json::from_slice::<Entry>(&text).ok()?;
    if entry.inputs != inputs.0 {
        return None;
    }
    let mut seen = 0;
    for dir in MANAGED_DIRS {
        if !matches_recorded(out, &out.join(dir), &entry.files, &mut seen).unwrap_or(false) {
            return None;
        }
    }
    (seen == entry.files.len()).then_some(seen)
}

/// Walks `dir` as the output comparison does: every recorded file must hash as recorded,
/// and no other generated file (or staging leftover) may be there.
fn matches_recorded(
    root: &Path,
    dir: &Path,
    files: &BTreeMap<String, Digest>,
    seen: &mut usize,
) -> io::Result<bool> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            if !matches_recorded(root, &path, files, seen)? {
                return Ok(false);
            }
            continue;
        }
        if !ty.is_file() {
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            return Ok(false);
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        match files.get(&rel) {
            Some(expected) => {
                if digest(&fs::read(&path)?) != *expected {
                    return Ok(false);
                }
                *seen += 1;
            }
            None => {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(".maestroc-") || is_generated(&path)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}
