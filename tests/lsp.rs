//! `maestroc lsp` spoken to by real clients, installed by scripts/setup-tools:
//! - pytest-lsp (tests/lsp/test_lsp.py): diagnostics equal to `check --format json`, edits,
//!   `maestroc.toml` levels, hover, definition, references, completion, each quick fix,
//!   formatting, symbols, UTF-8 and UTF-16 positions;
//! - headless Neovim's built-in client (tests/lsp/neovim_smoke.lua): an editor opens a spec
//!   with errors and receives them at the lines and columns `check` gives.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_maestroc");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_real_lsp_client_gets_what_check_says() {
    let pytest = root().join(".tools/lsp-venv/bin/pytest");
    assert!(
        pytest.exists(),
        "{} missing: run the tests with `bash scripts/test`",
        pytest.display()
    );
    let out = Command::new(&pytest)
        .args(["-q", "-p", "no:cacheprovider"])
        .current_dir(root().join("tests/lsp"))
        .env("MAESTROC", BIN)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every test ran: a skipped or uncollected file would pass silently otherwise.
    assert!(report.contains("10 passed"), "{report}");
}

#[test]
fn neovim_receives_the_diagnostics_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("platform.kdl");
    std::fs::write(
        &spec,
        "platform \"shop\" {\n    namespace \"shop\"\n    node-ports 30000 30010\n    node-cidr \"10.0.0.0/8\"\n}\ndefaults {\n    resources cpu=\"100m\" memory=\"128Mi\"\n}\nservice \"a\" {\n    image \"a:1\"\n    port http 8080 node-port=30001\n    health tcp=http\n}\nservice \"b\" {\n    image \"b:1\"\n    port http 8080 node-port=30001\n    depends-on nowhere\n    health tcp=http\n}\n",
    )
    .unwrap();
    let out_file = dir.path().join("diagnostics.txt");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-c"])
        .arg(format!(
            "luafile {}",
            root().join("tests/lsp/neovim_smoke.lua").display()
        ))
        .arg(&spec)
        .current_dir(dir.path())
        .env("MAESTROC", BIN)
        .env("MAESTROC_OUT", &out_file)
        .output()
        .expect("nvim not found: run the tests with `bash scripts/test`");
    assert!(status.status.success(), "{status:?}");
    let got = std::fs::read_to_string(&out_file).unwrap();
    let check = Command::new(BIN)
        .args(["check", "--format", "json", "--spec"])
        .arg(&spec)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let mut want: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["code"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let mut got: Vec<String> = got.lines().map(String::from).collect();
    want.sort();
    got.sort();
    assert!(got.iter().any(|l| l.starts_with("MC105 16:")), "{got:?}");
    assert!(got.iter().any(|l| l.starts_with("MC007 17:16")), "{got:?}");
    assert_eq!(got, want);
}

#[test]
fn the_vscode_extension_starts_maestroc_lsp_for_the_spec() {
    let out = Command::new("node")
        .arg(root().join("tests/lsp/vscode_extension.js"))
        .output()
        .expect("node not found");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "vscode extension: ok"
    );
}
