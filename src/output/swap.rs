//! The whole output set replaced at once (Linux): the new tree is staged beside the output
//! directory and exchanged with it by one `renameat2(RENAME_EXCHANGE)`, the kernel's atomic
//! swap of two names. Hand-written files and unchanged generated ones are carried over as hard
//! links (same inode, never rewritten), so the swap moves nothing a user wrote.

use std::ffi::CString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{OutputError, Written, existing_generated, io_err, is_generated, parent_of};
use crate::emit::Files;

/// Staging directories are named so; the next build removes any a killed one left.
const STAGE_PREFIX: &str = ".maestroc-stage-";

/// Swapping is for an output directory of its own: never for one that holds a repository
/// or a spec (`--out .`), where replacing the directory would be a surprise.
pub fn suitable(out: &Path) -> bool {
    !(out.join(".git").exists() || out.join("platform.kdl").exists())
}

fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call; renameat2 reads them
    // and touches no memory of ours.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Removes staging trees a killed build left in `parent` (the caller holds the lock).
fn clean_leftovers(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(STAGE_PREFIX)
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Hard-links every entry of `from` into `to`, recursively, except the relative paths `skip`
/// says the new build replaces or drops.
fn link_tree(
    root: &Path,
    from: &Path,
    to: &Path,
    skip: &dyn Fn(&str) -> bool,
) -> Result<(), OutputError> {
    fs::create_dir_all(to).map_err(io_err(to))?;
    for entry in fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let path = entry.path();
        let ty = entry.file_type().map_err(io_err(&path))?;
        let rel = path
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            link_tree(root, &path, &target, skip)?;
        } else if !skip(&rel) {
            // Symlinks, FIFOs and files alike: linkat without following keeps them as they are.
            fs::hard_link(&path, &target).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

pub fn write(out: &Path, files: &Files, scope: &[String]) -> Result<Written, OutputError> {
    let parent = parent_of(out);
    clean_leftovers(&parent);
    let mut written = Written::default();
    let exists = out.is_dir();
    let generated: Vec<String> = if exists {
        existing_generated(out)?
    } else {
        Vec::new()
    };
    let stale: Vec<String> = generated
        .iter()
        .filter(|rel| !files.contains_key(*rel) && scope.iter().any(|s| rel.starts_with(s)))
        .cloned()
        .collect();
    // Check every target before staging anything: a hand-written file (or a directory) where
    // a generated file goes stops the build with nothing touched.
    let mut same: Vec<&str> = Vec::new();
    for (rel, content) in files {
        let path = out.join(rel);
        match fs::read(&path) {
            Ok(old) if old == content.as_bytes() => same.push(rel),
            Ok(_) => {
                if !is_generated(&path).map_err(io_err(&path))? {
                    return Err(OutputError::Foreign { path });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
                return Err(OutputError::Foreign { path });
            }
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
    let stage = tempfile::Builder::new()
        .prefix(STAGE_PREFIX)
        .tempdir_in(&parent)
        .map_err(io_err(&parent))?;
    let new_root = stage.path().join("output");
    if exists {
        let skip = |rel: &str| {
            (files.contains_key(rel) && !same.contains(&rel))
                || stale.iter().any(|s| s == rel)
                || rel
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n.starts_with(".maestroc-") && n.ends_with(".tmp"))
        };
        link_tree(out, out, &new_root, &skip)?;
        if let Ok(meta) = fs::metadata(out) {
            let _ = fs::set_permissions(&new_root, meta.permissions());
        }
    } else {
        fs::create_dir_all(&new_root).map_err(io_err(&new_root))?;
    }
    for (rel, content) in files {
        if same.contains(&rel.as_str()) {
            written.unchanged += 1;
            continue;
        }
        let path = new_root.join(rel);
        let dir = path.parent().unwrap_or(&new_root);
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut f = fs::File::create(&path).map_err(io_err(&path))?;
        f.write_all(content.as_bytes()).map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
        written.changed.push(rel.clone());
    }
    // A directory whose files all went stale goes too, as with in-place writes.
    for rel in &stale {
        if let Some(dir) = new_root.join(rel).parent() {
            let _ = fs::remove_dir(dir);
        }
    }
    written.removed = stale;
    // The new tree's directory entries reach the disk before it becomes the output.
    if let Ok(d) = fs::File::open(&new_root) {
        let _ = d.sync_all();
    }
    if exists {
        exchange(&new_root, out).map_err(io_err(out))?;
        // `new_root` now names the previous tree; dropping `stage` removes it.
    } else {
        fs::rename(&new_root, out).map_err(io_err(out))?;
    }
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    drop(stage);
    Ok(written)
}
