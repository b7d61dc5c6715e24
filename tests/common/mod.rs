//! Helpers shared by the integration tests that run the built binary.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `maestroc` in `dir`, without colour.
pub fn maestroc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}
