//! Reading the files a spec names (`patch file=`, `extra`, the NodePort registry): only
//! regular files, never more than a cap, and — for the spec's own files — only inside its
//! repository, symlinks resolved first. A FIFO, a device, `/dev/zero` or a link to
//! `/etc/shadow` is a coded error, not a blocked or unbounded read.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The most a file the spec names may hold: far above any real patch, extra or registry.
pub const MAX_NAMED_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The repository a spec belongs to: the nearest ancestor of its directory holding `.git`,
/// else the directory itself.
pub fn repository_of(spec_dir: &Path) -> PathBuf {
    let dir = spec_dir
        .canonicalize()
        .unwrap_or_else(|_| spec_dir.to_path_buf());
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&dir)
        .to_path_buf()
}

/// Reads `path` as text when it is a regular file of at most `cap` bytes and, with `inside`,
/// resolves (through every symlink) to a path under that directory.
pub fn bounded(path: &Path, inside: Option<&Path>, cap: u64) -> Result<String, String> {
    let shown = path.display();
    if let Some(root) = inside {
        let real = path.canonicalize().map_err(|e| format!("{shown}: {e}"))?;
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        if !real.starts_with(&root) {
            return Err(format!(
                "{shown} resolves to {}, outside the spec's repository {}",
                real.display(),
                root.display()
            ));
        }
    }
    // Opened without blocking (a FIFO would wait for a writer), then judged by the handle,
    // so a file swapped between a check and the open is judged as what was opened.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| format!("{shown}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    if meta.len() > cap {
        return Err(format!(
            "{shown} is {} bytes, above the {cap}-byte limit for a file the spec names",
            meta.len()
        ));
    }
    let mut text = String::new();
    file.take(cap + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{shown}: {e}"))?;
    if text.len() as u64 > cap {
        return Err(format!(
            "{shown} grew above the {cap}-byte limit while read"
        ));
    }
    Ok(text)
}

/// The most the spec itself may hold: 16 MiB is ~50,000 services (a 10,000-service platform
/// is ~3 MB); compiling costs memory in proportion (BENCHMARKS.md, long specs).
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;
/// The most one `import` input may hold: a `helm template` of 50,000 objects (the YAML
/// budget) is ~100 MB.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;
/// `maestroc.toml`, a `secrets --from` file, a baseline: small files kept by hand or by maestroc.
pub const MAX_SIDE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a file named on the command line, of any kind (`--spec <(…)` is a pipe), stopping
/// one byte past `cap`: `/dev/zero` is an error, never unbounded memory.
pub fn capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    capped_from(std::fs::File::open(path)?, cap)
}

/// Reads a stream (stdin, a file) to its end, or fails one byte past `cap`.
pub fn capped_from(stream: impl Read, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    stream.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("more than the {cap}-byte limit"),
        ));
    }
    Ok(bytes)
}

/// `capped`, as UTF-8 text.
pub fn capped_text(path: &Path, cap: u64) -> std::io::Result<String> {
    utf8(capped(path, cap)?)
}

pub fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads files the spec names (`patch file=`, `extra`) relative to its directory.
pub fn spec_dir_loader(spec: &Path) -> impl Fn(&str) -> Result<String, String> + use<> {
    let dir = match spec.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let repository = repository_of(&dir);
    move |rel: &str| bounded(&dir.join(rel), Some(&repository), MAX_NAMED_FILE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_fifos_links_out_and_big_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("ok.yaml"), "a: 1\n").unwrap();
        assert_eq!(
            bounded(&root.join("ok.yaml"), Some(root), 100).unwrap(),
            "a: 1\n"
        );
        assert!(bounded(Path::new("/dev/zero"), None, 100).is_err());
        assert!(bounded(&root.join("ok.yaml"), Some(root), 2).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
            let e = bounded(&root.join("link"), Some(root), 1 << 20).unwrap_err();
            assert!(e.contains("outside"), "{e}");
            let fifo = root.join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let e = bounded(&fifo, Some(root), 100).unwrap_err();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let e = bounded(&root.join("../../../../etc/passwd"), Some(root), 1 << 20).unwrap_err();
        assert!(e.contains("outside"), "{e}");
    }
}
