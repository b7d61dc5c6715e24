//! `maestroc harden [--env NAME]`: what maestroc would tighten, service by service — each Pod
//! Security control a final pod fails below `restricted`, at the spec line that sets it. A
//! report: it writes nothing, and exits 0 whatever it finds (`import` keeps what runs; this is
//! the explicit step after adoption).

use std::io::Write;

use super::EXIT_OK;
use super::input::{compile_quiet, load_config, target};
use crate::report::SourceFile;

#[derive(Debug, clap::Args)]
pub struct HardenArgs {
    /// The platform spec.
    #[arg(long, default_value = "platform.kdl", value_name = "FILE")]
    pub spec: std::path::PathBuf,
    /// The environment whose final pods are judged; may be left out when there is only one.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

pub fn run(args: &HardenArgs) -> u8 {
    let (compiled, source) =
        match load_config(&args.spec).and_then(|c| compile_quiet(&args.spec, &c)) {
            Ok(c) => c,
            Err(code) => return code,
        };
    let target = match target(&compiled.platform, args.env.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let pods = match crate::emit::final_pods(&target, &compiled.graph) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_INPUT;
        }
    };
    let items = crate::verify::harden::report(&target, &pods);
    let file = SourceFile::new(args.spec.display().to_string(), source.text.as_str());
    let mut out = std::io::stdout().lock();
    let _ = write!(
        out,
        "{}",
        render(&items, &file, &compiled.platform, target.name())
    );
    EXIT_OK
}

/// The report as text: per service, each control with the field, what `restricted` allows and
/// the spec line; then the totals.
pub fn render(
    items: &[crate::verify::harden::Tightening],
    file: &SourceFile,
    p: &crate::model::Platform,
    env: &str,
) -> String {
    let mut text = String::new();
    let short = crate::verify::harden::services(items);
    for name in &short {
        let mine: Vec<_> = items.iter().filter(|i| i.service == *name).collect();
        text.push_str(&format!(
            "{name}: meets `{}`, {} control(s) below `restricted`\n",
            mine.iter()
                .map(|i| i.meets)
                .min()
                .map_or("restricted", |l| l.as_str()),
            mine.len()
        ));
        for i in mine {
            let (line, column) = file.line_col(i.span.offset());
            text.push_str(&format!(
                "  - \"{}\": `{}` (restricted allows: {}) — {}:{line}:{column}, {}\n",
                i.control, i.field, i.allowed, file.name, i.by
            ));
        }
    }
    let running = p.services.iter().filter(|s| !s.is_external()).count();
    text.push_str(&format!(
        "maestroc: {} of {running} services fall short of Pod Security `restricted` in `{env}`; tighten each at the line shown (remove the `allow`, the patch field, the root user), or keep it and say why with `reason=`\n",
        short.len()
    ));
    text
}
