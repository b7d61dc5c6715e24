//! `maestroc explain CODE` and `maestroc explain --list`.

use std::io::Write;

use crate::rules;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A rule code (`MC105`) or name (`nodeport-collision`).
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every rule.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: &ExplainArgs) -> u8 {
    let mut out = String::new();
    if args.list {
        for r in rules::all() {
            out.push_str(&format!(
                "{}  {:<28} {:<8} {}\n",
                r.code,
                r.name,
                format!("{:?}", r.severity).to_lowercase(),
                r.summary
            ));
        }
    } else if let Some(code) = &args.code {
        match rules::find(code) {
            Some(r) => {
                out.push_str(&format!(
                    "{} ({}) — {}\ndefault severity: {}\n\n{}\n",
                    r.code,
                    r.name,
                    r.summary,
                    format!("{:?}", r.severity).to_lowercase(),
                    r.explanation
                ));
            }
            None => {
                let known: Vec<&str> = rules::all().map(|r| r.code).collect();
                let hint = crate::spec::did_you_mean(&code.to_ascii_uppercase(), known)
                    .map_or(String::new(), |s| format!(" (did you mean {s}?)"));
                eprintln!(
                    "error: no rule `{code}`{hint}; `maestroc explain --list` shows them all"
                );
                return super::EXIT_INPUT;
            }
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    super::EXIT_OK
}
