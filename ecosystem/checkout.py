"""A pinned commit of a mirrored repository, written out as plain files into the cache.

Mirrors are bare git directories, one per `owner/name` (`owner+name/repo` under
`MAESTROC_ECOSYSTEM_MIRRORS`, the layout the session's fetch leaves). A mirror may lack some
blobs (large files are left out of snapshots): those files are skipped and counted, never an
error. Only the `paths` a repository entry names are written, so a corner of a large
repository costs what the corner costs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

MARK = ".ecosystem-commit"


def mirror_dir(root: Path, repo: str) -> Path | None:
    base = root / repo.replace("/", "+")
    for cand in (base / "repo", base, root / repo):
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
        if (cand / ".git" / "HEAD").is_file():
            return cand / ".git"
    return None


def checkout(git_dir: Path, commit: str, paths: list[str], dest: Path) -> dict:
    """Writes `commit`'s files under `paths` (all when empty) into `dest`; reuses a previous
    checkout of the same commit and paths. Returns counts of files written and missing."""
    stamp = f"{commit} {' '.join(paths)}"
    if (dest / MARK).is_file() and (dest / MARK).read_text() == stamp:
        return {"reused": True}
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    tree = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", commit,
                           "--", *paths], capture_output=True, check=True).stdout
    entries = []
    for rec in tree.split(b"\0"):
        if not rec:
            continue
        meta, name = rec.split(b"\t", 1)
        mode, typ, sha = meta.split()
        if typ == b"blob" and mode != b"120000":
            entries.append((mode, sha.decode(), name.decode("utf-8", "replace")))
    missing = 0
    # One cat-file process for every blob: batch mode answers "<sha> missing" for an absent one.
    proc = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    for mode, sha, name in entries:
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            missing += 1
            continue
        size = int(header[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)
        path = dest / name
        if ".." in Path(name).parts:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mode == b"100755":
            os.chmod(path, 0o755)
    proc.stdin.close()
    proc.wait()
    (dest / MARK).write_text(stamp)
    return {"files": len(entries) - missing, "missing": missing}
