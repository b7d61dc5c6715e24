//! Builds that never lose data: two builds at once end as one complete build, a killed build's
//! staging files are cleaned by the next, a full or read-only output location leaves the old
//! output as it was, and a platform of 10,000 services builds (thousands of staged files never
//! hold thousands of descriptors).

mod common;

use std::process::Command;

use common::maestroc;

/// A platform of `n` services in one namespace, chained dependencies, one NodePort in 25.
fn platform(n: usize) -> String {
    let mut s = String::from(
        "platform \"big\" { namespace \"big\"; node-ports 30000 32767 }\n\
         defaults { resources cpu=\"100m\" memory=\"128Mi\" cpu-limit=\"500m\" memory-limit=\"512Mi\" }\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "service \"svc-{i:05}\" {{\n    image \"registry.local/big/svc:1.0.{i}\"\n    port http {}\n",
            8000 + i % 1000
        ));
        if i % 10 != 0 {
            s.push_str(&format!("    depends-on svc-{:05}\n", i - 1));
        }
        if i % 25 == 0 {
            s.push_str(&format!(
                "    port admin 9000 node-port={}\n",
                30000 + i / 25
            ));
        }
        s.push_str("    health http=\"/\" port=http\n}\n");
    }
    s
}

#[test]
fn two_builds_at_once_end_as_one_complete_build() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(400)).unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_maestroc"))
            .arg("build")
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(dir.path().join("output"));
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
        // The output is exactly a fresh build's, with no staging file left.
        let o = maestroc(dir.path(), &["check"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let leftovers = common::files_under(&dir.path().join("output"))
            .into_iter()
            .filter(|p| p.contains(".maestroc-"))
            .count();
        assert_eq!(leftovers, 0);
    }
}

#[test]
fn a_killed_builds_staging_files_are_cleaned_and_foreign_files_stay() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(3)).unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let k8s = dir.path().join("output/k8s/base");
    // What a SIGKILL between create and write leaves: an empty staging file, and a half one.
    std::fs::write(k8s.join(".maestroc-AbC123.tmp"), "").unwrap();
    std::fs::write(k8s.join(".maestroc-XyZ789.tmp"), "# Code gener").unwrap();
    std::fs::write(k8s.join("README.md"), "hand-written\n").unwrap();
    let o = maestroc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!k8s.join(".maestroc-AbC123.tmp").exists());
    assert!(!k8s.join(".maestroc-XyZ789.tmp").exists());
    assert_eq!(
        std::fs::read_to_string(k8s.join("README.md")).unwrap(),
        "hand-written\n"
    );
}

#[test]
fn ten_thousand_services_build() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(10_000)).unwrap();
    let o = maestroc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = common::files_under(&dir.path().join("output/k8s/base"));
    assert_eq!(files.len(), 10_000 + 2);
}

/// Every file under `dir`, relative, with its bytes.
fn snapshot(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    common::files_under(dir)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&dir.to_string_lossy().to_string())
                .unwrap_or(&p)
                .to_string();
            let bytes = std::fs::read(&p).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// SIGKILL at points spread over a whole build, many times: `output/` is always the complete
/// previous set or the complete new one — never a mix, never a truncated file — and the
/// hand-written file in it survives every time.
#[test]
fn a_killed_build_leaves_the_old_set_or_the_new_one() {
    let a = platform(300);
    let b = a.replace("registry.local/big/svc:1.0.", "registry.local/big/svc:2.0.");
    // The two complete sets, built once each.
    let reference = |spec: &str| {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("platform.kdl"), spec).unwrap();
        assert!(maestroc(d.path(), &["build"]).status.success());
        std::fs::write(d.path().join("output/NOTES.md"), "hand-written\n").unwrap();
        snapshot(&d.path().join("output"))
    };
    let (set_a, set_b) = (reference(&a), reference(&b));
    assert_ne!(set_a, set_b);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), &a).unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    std::fs::write(dir.path().join("output/NOTES.md"), "hand-written\n").unwrap();
    // How long one build takes here, to spread the kills over it.
    std::fs::write(dir.path().join("platform.kdl"), &b).unwrap();
    let start = std::time::Instant::now();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let full = start.elapsed();
    let mut current = &b;
    let (mut saw_old, mut saw_new) = (0, 0);
    let rounds = 24;
    for i in 0..rounds {
        let next = if std::ptr::eq(current, &a) { &b } else { &a };
        std::fs::write(dir.path().join("platform.kdl"), next).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_maestroc"))
            .arg("build")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kills spread over one build's time; the last round is not killed, so the new set is
        // seen at least once however slow the machine is (the test then still proves that no
        // kill left a mix).
        if i + 1 < rounds {
            std::thread::sleep(full.mul_f64(f64::from(i) / f64::from(rounds) * 1.5));
            let _ = child.kill();
        }
        let _ = child.wait();
        let now = snapshot(&dir.path().join("output"));
        let (old_set, new_set) = if std::ptr::eq(next, &a) {
            (&set_b, &set_a)
        } else {
            (&set_a, &set_b)
        };
        if &now == new_set {
            saw_new += 1;
            current = next;
        } else if &now == old_set {
            saw_old += 1;
        } else {
            let differing: Vec<&String> = now
                .keys()
                .filter(|k| old_set.get(*k) != now.get(*k) && new_set.get(*k) != now.get(*k))
                .take(5)
                .collect();
            panic!("round {i}: a mix of old and new files: {differing:?}");
        }
    }
    // Kills landed both before and after the swap.
    assert!(saw_old > 0 && saw_new > 0, "old {saw_old}, new {saw_new}");
    // The next build cleans whatever staging a kill left beside the output.
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".maestroc-"))
        .count();
    assert_eq!(leftovers, 0);
}

/// A file where the output directory should be: exit 2, a clear message, the file intact.
#[test]
fn a_file_in_place_of_the_output_dir_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(2)).unwrap();
    std::fs::write(dir.path().join("output"), "not a directory\n").unwrap();
    let o = maestroc(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("MC091") && err.contains("output"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("output")).unwrap(),
        "not a directory\n"
    );
}

/// A scanned tree with a symlink loop, a FIFO, a 1 GB sparse file and a 100 MB single-line
/// file: the scan finishes, reports what it skipped, and never reads a huge file into memory
/// (peak RSS of the process stays far below the files' size).
#[test]
fn a_hostile_tree_is_scanned_with_bounded_memory() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(3)).unwrap();
    let tree = dir.path().join("src");
    std::fs::create_dir_all(tree.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("loop/back")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(tree.join("pipe"))
            .status()
            .unwrap()
            .success()
    );
    std::fs::File::create(tree.join("sparse.bin"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let line = "x".repeat(100 * 1024 * 1024);
    std::fs::write(tree.join("bundle.min.js"), &line).unwrap();
    drop(line);
    assert!(maestroc(dir.path(), &["build"]).status.success());
    // Reaped by wait4 below, which also reports the child's peak RSS; Child::wait cannot.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .args(["check", "--scan", "--format", "json"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage point to live locals.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid);
    let code = std::process::ExitStatus::from_raw(status).code();
    assert!(matches!(code, Some(0) | Some(1)), "exit {code:?}");
    let peak_mib = usage.ru_maxrss / 1024;
    assert!(peak_mib < 200, "peak RSS {peak_mib} MiB");
}

/// A full disk and a read-only output location, on a real filesystem (a small tmpfs mounted
/// in a private user and mount namespace, `unshare -rm`): the build fails with MC091 and a
/// clear message, exit 2, and the previous output — with a hand-written file in it — is left
/// exactly as it was, with no staging left behind.
#[test]
fn a_full_or_read_only_output_location_loses_nothing() {
    if !Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        // Said loudly: a machine without user namespaces cannot run this test.
        eprintln!("SKIPPED: `unshare -rm` is not permitted here; no tmpfs to fill");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("mnt")).unwrap();
    std::fs::write(d.join("small.kdl"), platform(3)).unwrap();
    std::fs::write(d.join("big.kdl"), platform(400)).unwrap();
    let script = r#"
set -u
m="$1/mnt"; bin="$2"
mount -t tmpfs -o size=512k tmpfs "$m" || exit 90
cp "$1/small.kdl" "$m/platform.kdl"
"$bin" build --spec "$m/platform.kdl" >/dev/null 2>&1 || exit 91
echo "kept by hand" > "$m/output/NOTES.md"
sums() { (cd "$m/output" && find . -type f | sort | xargs sha256sum); }
sums > "$1/before"
cp "$1/big.kdl" "$m/platform.kdl"
"$bin" build --spec "$m/platform.kdl" 2> "$1/full.err"; echo "full=$?"
sums > "$1/after-full"
ls -A "$m" > "$1/leftovers"
mount -o remount,ro "$m" || exit 92
"$bin" build --spec "$m/platform.kdl" 2> "$1/ro.err"; echo "ro=$?"
sums > "$1/after-ro"
"#;
    let o = Command::new("unshare")
        .args(["-rm", "sh", "-c", script, "sh"])
        .arg(d)
        .arg(env!("CARGO_BIN_EXE_maestroc"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "setup failed ({:?}): {out}",
        o.status.code()
    );
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    assert!(out.contains("full=2"), "{out}\n{}", read("full.err"));
    assert!(read("full.err").contains("MC091"), "{}", read("full.err"));
    assert!(
        read("full.err").contains("No space left"),
        "{}",
        read("full.err")
    );
    assert!(
        read("full.err").contains("is full: free space there"),
        "{}",
        read("full.err")
    );
    assert_eq!(
        read("before"),
        read("after-full"),
        "a failed build changed output/"
    );
    assert!(read("before").contains("NOTES.md"));
    assert_eq!(
        read("leftovers").split_whitespace().collect::<Vec<_>>(),
        // The build cache of the first, successful build; no staging.
        [".maestroc_cache", "output", "platform.kdl"],
        "staging left behind"
    );
    assert!(out.contains("ro=2"), "{out}\n{}", read("ro.err"));
    assert!(read("ro.err").contains("MC091"), "{}", read("ro.err"));
    assert!(
        read("ro.err").contains("Read-only file system"),
        "{}",
        read("ro.err")
    );
    assert!(
        read("ro.err").contains("build with `--out` elsewhere"),
        "{}",
        read("ro.err")
    );
    assert_eq!(read("before"), read("after-ro"));
}

/// Input that controls depth — blocks, block comments, a slashdashed subtree, a patch body —
/// at ten times the limit ends with MC001 and exit 2 for every command that reads the spec,
/// never with a signal (a stack overflow is SIGABRT/SIGSEGV).
#[test]
fn deep_nesting_is_a_coded_error_for_every_command() {
    let limit = 100;
    let n = limit * 10 + 300;
    let cases = [
        format!(
            "platform \"p\"\nservice \"a\" {{\n    image \"x:1\"\n    port \"http\" 8080\n    patch \"Deployment\" {}{}\n}}\n",
            "{ a ".repeat(n),
            "}".repeat(n)
        ),
        format!("platform \"p\"\n{}\n", "/*".repeat(n * 4)),
        format!(
            "platform \"p\"\n/-service \"a\" {}{}\n",
            "{ a ".repeat(n),
            "}".repeat(n)
        ),
        format!("platform \"p\"\n{}{}\n", "a { ".repeat(n), "}".repeat(n)),
    ];
    let commands: [&[&str]; 7] = [
        &["check"],
        &["build"],
        &["fmt", "--check"],
        &["graph"],
        &["diff"],
        &["ports"],
        &["ports", "allocate", "a", "http"],
    ];
    for (i, spec) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("platform.kdl"), spec).unwrap();
        for args in commands {
            let o = common::maestroc(dir.path(), args);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(
                o.status.code(),
                Some(2),
                "case {i}, {args:?}: {:?}\n{stderr}",
                o.status
            );
            assert!(stderr.contains("MC001"), "case {i}, {args:?}: {stderr}");
        }
    }
}

/// Files the spec names are read only when they are regular files inside its repository,
/// under a size cap: a device, a FIFO, a path or a symlink leading out, and a registry on
/// `/dev/zero` each end promptly with a coded error, never a block or an unbounded read.
#[test]
fn named_files_are_bounded_regular_files_inside_the_repository() {
    let base = "platform \"shop\" {\n    namespace \"shop\"\n";
    let svc = "}\nservice \"api\" {\n    image \"ghcr.io/acme/api:1.0\"\n    port \"http\" 8080\n";
    let cases = [
        ("", "    patch \"Deployment\" file=\"/dev/zero\"\n", "MC0"),
        ("", "    extra \"/dev/urandom\"\n", "MC0"),
        ("", "    extra \"../../../../../../etc/passwd\"\n", "MC0"),
        ("", "    extra \"shadow.yaml\"\n", "MC0"),
        ("", "    patch \"Deployment\" file=\"fifo.yaml\"\n", "MC0"),
        (
            "    node-ports 30000 30100 registry=\"/dev/zero\"\n",
            "",
            "MC090",
        ),
    ];
    for (i, (platform, service, code)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::os::unix::fs::symlink("/etc/shadow", dir.path().join("shadow.yaml")).unwrap();
        let fifo = std::ffi::CString::new(dir.path().join("fifo.yaml").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let spec = format!("{base}{platform}{svc}{service}}}\n");
        std::fs::write(dir.path().join("platform.kdl"), &spec).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_maestroc"))
            .args(["check", "--no-cache"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > std::time::Duration::from_secs(30) {
                let _ = child.kill();
                panic!("case {i} blocked:\n{spec}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            status.code().is_some_and(|c| c == 1 || c == 2),
            "case {i}: {status:?}\n{stderr}"
        );
        assert!(stderr.contains(code), "case {i}: {stderr}");
        assert!(
            !stderr.contains("root:"),
            "case {i} printed a system file:\n{stderr}"
        );
    }
}

/// The YAML budget fits real platforms: a 20,000-document stream (a large `helm template`)
/// imports, while alias expansion (billion laughs) is still refused with a coded error.
#[test]
fn import_takes_twenty_thousand_documents_and_refuses_a_yaml_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let mut stream = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: big}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: \"ghcr.io/acme/api:1.0\", ports: [{containerPort: 8080}]}]\n",
    );
    for i in 0..20_000 {
        stream.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: big}}\ndata: {{k: \"v{i}\"}}\n"
        ));
    }
    std::fs::write(dir.path().join("big.yaml"), &stream).unwrap();
    let o = common::maestroc(dir.path(), &["import", "big.yaml"]);
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(dir.path().join("platform.kdl").exists());
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = name;
    }
    std::fs::write(dir.path().join("bomb.yaml"), bomb).unwrap();
    let o = common::maestroc(dir.path(), &["import", "bomb.yaml", "--spec", "bomb.kdl"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Files named on the command line are read up to a cap, whatever they are: `--spec
/// /dev/zero`, `import /dev/zero`, a baseline or `secrets --from` on `/dev/zero` each end with
/// an MC090 and exit 2 — never an unbounded read. A spec through a pipe still reads.
#[test]
fn inputs_named_on_the_command_line_are_read_up_to_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 4] = [
        &["check", "--no-cache", "--spec", "/dev/zero"],
        &["fmt", "--check", "--spec", "/dev/zero"],
        &["build", "--spec", "/dev/zero"],
        &["import", "/dev/zero", "--spec", "imported.kdl"],
    ];
    for args in runs {
        let o = common::maestroc(dir.path(), args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("MC090") && stderr.contains("limit"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!dir.path().join("imported.kdl").exists());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .args(["check", "--no-cache", "--spec", "/dev/stdin"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"platform \"p\" {\n    namespace \"p\"\n}\nservice \"api\" {\n    image \"ghcr.io/acme/api:1.0\"\n    port \"http\" 8080\n    depends-on ghost\n}\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("MC007"), "{stderr}");
}
