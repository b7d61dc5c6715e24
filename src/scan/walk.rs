//! The parallel walk over the repository: honours .gitignore, never follows symlinks (so a
//! symlink loop cannot trap it), skips build and dependency directories and maestroc's own
//! output, and reads only text files up to a size bound.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

/// Larger files are skipped (reported as such): generated bundles, data dumps.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules", ".venv", "__pycache__"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    Binary,
    TooLarge,
    NotUtf8,
    Unreadable,
}

/// What the walk found, per file.
pub enum Entry {
    Text {
        rel: PathBuf,
        text: String,
    },
    Skipped {
        rel: PathBuf,
        why: Skip,
        detail: String,
    },
}

/// Walks `root` on every core and calls `visit` for each file (from several threads).
/// `exclude` holds paths never read (the output directory, the spec itself).
pub fn walk<F>(root: &Path, exclude: &[PathBuf], globs: &[String], visit: F)
where
    F: Fn(Entry) + Sync,
{
    // Compared lexically, relative to the root: no syscall per entry.
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .filter_map(|p| p.strip_prefix(&canonical_root).ok().map(Path::to_path_buf))
        .collect();
    let exclude_files = exclude.clone();
    let root_owned = root.to_path_buf();
    let filter_root = root.to_path_buf();
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for g in globs {
        // Validated when maestroc.toml was read; a bad one here is skipped, not fatal.
        let _ = overrides.add(&format!("!{g}"));
    }
    let overrides = overrides
        .build()
        .unwrap_or_else(|_| ignore::overrides::Override::empty());
    let walker = WalkBuilder::new(root)
        .overrides(overrides)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .git_ignore(true)
        .git_exclude(true)
        .parents(true)
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if !is_dir {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            if e.depth() > 0 && SKIP_DIRS.contains(&name.as_ref()) {
                return false;
            }
            let rel = e.path().strip_prefix(&filter_root).unwrap_or(e.path());
            !exclude.iter().any(|x| x == rel)
        })
        .build_parallel();
    let visit = &visit;
    let root = &root_owned;
    let exclude_files = &exclude_files;
    walker.run(|| {
        Box::new(move |result| {
            let Ok(entry) = result else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
            if exclude_files.contains(&rel) {
                return WalkState::Continue;
            }
            visit(read(path, rel));
            WalkState::Continue
        })
    });
}

fn read(path: &Path, rel: PathBuf) -> Entry {
    let skipped = |why, detail: String| Entry::Skipped {
        rel: rel.clone(),
        why,
        detail,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return skipped(Skip::TooLarge, format!("{} bytes", m.len()));
        }
        Ok(_) => {}
        Err(e) => return skipped(Skip::Unreadable, e.to_string()),
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return skipped(Skip::Unreadable, e.to_string()),
    };
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return skipped(Skip::Binary, String::new());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Entry::Text { rel, text },
        Err(e) => skipped(
            Skip::NotUtf8,
            format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        ),
    }
}

/// Collects visited entries from many threads.
#[derive(Default)]
pub struct Collector<T>(pub Mutex<Vec<T>>);

impl<T> Collector<T> {
    pub fn push_all(&self, items: impl IntoIterator<Item = T>) {
        if let Ok(mut v) = self.0.lock() {
            v.extend(items);
        }
    }
    pub fn into_inner(self) -> Vec<T> {
        self.0.into_inner().unwrap_or_default()
    }
}
