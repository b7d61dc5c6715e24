//! `maestroc render [--env NAME]`: one environment's objects as a single YAML stream on stdout,
//! in apply order — byte for byte `cat output/k8s/<env>/*.yaml` of what `build` writes — for
//! `kubectl apply -f -`, `kubectl diff -f -` and GitOps plugins. Writes nothing to disk.

use std::io::Write;

use super::EXIT_OK;
use super::input::{compile_spec, load_config, target};

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: std::path::PathBuf,
    /// The environment to render (`base` when the spec declares none); may be left out when
    /// there is only one.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

pub fn run(args: &RenderArgs) -> u8 {
    let (compiled, files) = match load_config(&args.spec).and_then(|c| compile_spec(&args.spec, &c))
    {
        Ok(c) => c,
        Err(code) => return code,
    };
    let target = match target(&compiled.platform, args.env.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut out = std::io::stdout().lock();
    for text in crate::emit::environment_files(&files, target.name()) {
        // A closed pipe (`maestroc render | head`) ends the stream quietly.
        if out.write_all(text.as_bytes()).is_err() {
            return EXIT_OK;
        }
    }
    EXIT_OK
}
