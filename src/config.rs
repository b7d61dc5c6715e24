//! `maestroc.toml`, found next to the spec: rule levels and the output directory.
//!
//! ```toml
//! [rules]
//! MC4 = "warning"      # a group: every MC4xx rule
//! MC401 = "error"      # a code wins over its group
//! MC303 = "off"        # ignored
//!
//! [output]
//! dir = "generated"    # relative to the spec's directory
//!
//! [scan]               # `check` scans without `--scan`
//! include = ["services", "deploy"]   # default: the spec's directory
//! exclude = ["vendor/**", "*.min.js"]
//! optional-env = ["OTEL_COLLECTOR_ADDR"]   # read, intentionally not provided
//!
//! [[scan.chart]]       # how a chart is installed, for `helm template` (when helm is on PATH)
//! path = "charts/shop"
//! release = "shop"
//! values = ["charts/shop/values-prod.yaml"]
//! ```
//!
//! MC2xx–MC4xx rules (except MC304) and every rule that is a warning by default can be
//! configured; a group sets the configurable rules in it. The MC0xx/MC1xx errors and MC304
//! describe a spec that cannot produce valid manifests, so they stay errors.

use std::collections::BTreeMap;

use miette::SourceSpan;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Finding, Findings, Severity};
use crate::rules;
use crate::spec::did_you_mean;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    output: OutputSection,
    scan: Option<ScanSection>,
    live: Option<LiveSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveSection {
    #[serde(default)]
    ignore: Vec<LiveIgnore>,
}

/// `[[live.ignore]]`, after Argo CD's `ignoreDifferences`: differences `diff --live` finds in
/// objects of `kind` (and `name`, when given) at or under `path` are not drift.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LiveIgnore {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    /// A path as `diff --live` prints it, `.spec.replicas`; an item may be `[*]`.
    pub path: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanSection {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    /// Variables a service may read without its manifest providing them (feature flags,
    /// optional integrations): never MC203.
    #[serde(default, rename = "optional-env")]
    optional_env: Vec<String>,
    /// `[[scan.chart]]`: how a chart of the repository is installed (release, values), for
    /// rendering it with `helm template`.
    #[serde(default)]
    chart: Vec<ChartConfig>,
}

/// `[[scan.chart]] path = "charts/shop", release = "shop", values = ["values-prod.yaml"]`:
/// paths relative to the spec's directory.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChartConfig {
    pub path: String,
    #[serde(default)]
    pub release: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
    /// `--set` assignments, `key=value`.
    #[serde(default)]
    pub set: Vec<String>,
}

/// `[scan]`: what `check` scans without `--scan`.
#[derive(Debug, Default, Clone)]
pub struct ScanConfig {
    /// Directories relative to the spec's; empty means the spec's directory.
    pub include: Vec<String>,
    /// gitignore-style globs of paths never scanned.
    pub exclude: Vec<String>,
    /// `optional-env`: variables whose absence from a manifest is intended.
    pub optional_env: Vec<String>,
    /// `[[scan.chart]]`: how the repository's charts are installed.
    pub charts: Vec<ChartConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputSection {
    dir: Option<toml::Spanned<String>>,
}

/// A configured level: a severity, or `off`.
pub type Level = Option<Severity>;

/// The parsed, checked configuration.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Code or group prefix → level.
    levels: Vec<(String, Level)>,
    pub output_dir: Option<String>,
    /// Present when maestroc.toml has a `[scan]` table: `check` then scans without `--scan`.
    pub scan: Option<ScanConfig>,
    /// `[[live.ignore]]`: what `diff --live` does not count as drift.
    pub live_ignore: Vec<LiveIgnore>,
}

const LEVELS: &[&str] = &["off", "info", "warning", "error"];

fn span(r: std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(r.start.into(), r.end - r.start)
}

/// Whether a rule's level may be changed by configuration.
pub fn is_configurable(code: &str) -> bool {
    let warning_by_default = rules::find(code).is_some_and(|r| r.severity != Severity::Error);
    warning_by_default
        || (matches!(code.as_bytes().get(2), Some(b'2' | b'3' | b'4')) && code != "MC304")
}

impl Config {
    /// Parses `text`; every problem is a finding with a span into `text`.
    pub fn parse(text: &str) -> Result<Config, Vec<Finding>> {
        let file: File = toml::from_str(text).map_err(|e| {
            let mut f = Finding::new("MC092", format!("maestroc.toml: {}", e.message().trim()));
            if let Some(r) = e.span() {
                f = f.at(span(r), "here");
            }
            vec![f.help("maestroc.toml takes [rules] (CODE = \"off|info|warning|error\"), [output] dir = \"…\", [scan] include = [\"…\"], exclude = [\"…\"], optional-env = [\"…\"], [[scan.chart]] path = \"…\", release = \"…\", values = [\"…\"] and [[live.ignore]] kind = \"…\", path = \"…\"")]
        })?;
        let mut errors = Vec::new();
        let mut levels = Vec::new();
        for (key, value) in &file.rules {
            let k = key.get_ref().to_ascii_uppercase();
            let matches: Vec<&str> = rules::all()
                .map(|r| r.code)
                .filter(|c| c.starts_with(&k))
                .collect();
            if !k.starts_with("MC") || matches.is_empty() {
                let mut f = Finding::new(
                    "MC092",
                    format!("unknown rule or group `{}`", key.get_ref()),
                )
                .at(span(key.span()), "no rule has this code");
                f = match did_you_mean(&k, rules::all().map(|r| r.code)) {
                    Some(s) => f.help(format!("did you mean `{s}`? `maestroc explain --list` shows every code")),
                    None => f.help("use a code (MC401) or a group (MC4); `maestroc explain --list` shows every code"),
                };
                errors.push(f);
                continue;
            }
            // A group sets the rules in it that can be configured (`MC1` → MC106); a key that
            // reaches none of them is a mistake.
            if matches.iter().all(|c| !is_configurable(c)) {
                errors.push(
                    Finding::new("MC092", format!("`{}` cannot be configured", key.get_ref()))
                        .at(span(key.span()), format!("{} is always an error", matches[0]))
                        .help("MC0xx, MC1xx and MC304 describe specs that cannot compile to valid manifests; fix the spec instead"),
                );
                continue;
            }
            let level = match value.get_ref().as_str() {
                "off" => None,
                "info" => Some(Severity::Info),
                "warning" => Some(Severity::Warning),
                "error" => Some(Severity::Error),
                other => {
                    let mut f = Finding::new("MC092", format!("`{other}` is not a level"))
                        .at(span(value.span()), "expected off, info, warning or error");
                    if let Some(s) = did_you_mean(other, LEVELS.iter().copied()) {
                        f = f.help(format!("did you mean \"{s}\"?"));
                    }
                    errors.push(f);
                    continue;
                }
            };
            levels.push((k, level));
        }
        if let Some(scan) = &file.scan {
            for pattern in &scan.exclude {
                let mut b = ignore::overrides::OverrideBuilder::new(".");
                if let Err(e) = b.add(&format!("!{}", pattern.get_ref())) {
                    errors.push(
                        Finding::new("MC092", format!("invalid exclude pattern: {e}"))
                            .at(span(pattern.span()), "not a glob")
                            .help("exclude takes gitignore-style globs, e.g. \"vendor/**\""),
                    );
                }
            }
        }
        if let Some(dir) = &file.output.dir
            && dir.get_ref().trim().is_empty()
        {
            errors.push(
                Finding::new("MC092", "the output directory is empty")
                    .at(span(dir.span()), "no directory")
                    .help("name a directory relative to the spec, e.g. dir = \"generated\", or remove the line for `output/`"),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Most specific first: a code beats its group, MC40 beats MC4.
        levels.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Ok(Config {
            levels,
            output_dir: file.output.dir.map(toml::Spanned::into_inner),
            scan: file.scan.map(|s| ScanConfig {
                include: s.include,
                exclude: s.exclude.into_iter().map(|p| p.into_inner()).collect(),
                optional_env: s.optional_env,
                charts: s.chart,
            }),
            live_ignore: file.live.map(|l| l.ignore).unwrap_or_default(),
        })
    }

    /// The configured level of a code, if any entry matches it.
    pub fn level(&self, code: &str) -> Option<Level> {
        self.levels
            .iter()
            .find(|(k, _)| code.starts_with(k.as_str()))
            .map(|(_, l)| *l)
    }

    /// Applies the levels: findings of `off` rules are dropped, others get their severity.
    pub fn apply(&self, findings: Findings) -> Findings {
        let mut out = Findings::default();
        for mut f in findings {
            if !is_configurable(f.rule.code) {
                out.push(f);
                continue;
            }
            match self.level(f.rule.code) {
                Some(None) => {}
                Some(Some(sev)) => {
                    f.severity = sev;
                    out.push(f);
                }
                None => out.push(f),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_sets_only_its_configurable_rules() {
        // The issue's example: `MC1` reaches MC106, the one port rule that is a warning.
        let c = Config::parse("[rules]\nMC1 = \"error\"\n").unwrap();
        assert_eq!(c.level("MC106"), Some(Some(Severity::Error)));
        assert!(!is_configurable("MC105"));
        assert!(is_configurable("MC106"));
        assert!(Config::parse("[rules]\nMC0 = \"off\"\n").is_err());
        assert!(Config::parse("[rules]\nMC105 = \"off\"\n").is_err());
    }

    #[test]
    fn a_code_beats_its_group() {
        let c = Config::parse("[rules]\nMC4 = \"error\"\nMC401 = \"off\"\n").unwrap();
        assert_eq!(c.level("MC401"), Some(None));
        assert_eq!(c.level("MC402"), Some(Some(Severity::Error)));
        assert_eq!(c.level("MC301"), None);
    }

    #[test]
    fn unknown_keys_codes_and_levels_are_errors_with_spans() {
        let text = "[rules]\nMC4O1 = \"off\"\nMC402 = \"warn\"\nMC00 = \"off\"\n";
        let errs = Config::parse(text).unwrap_err();
        let msgs: Vec<&str> = errs.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        let at = |i: usize| {
            let s = errs[i].primary_span().unwrap();
            &text[s.offset()..s.offset() + s.len()]
        };
        let all: Vec<&str> = (0..3).map(at).collect();
        assert!(all.contains(&"MC4O1"), "{all:?}");
        assert!(all.contains(&"\"warn\""), "{all:?}");
        assert!(all.contains(&"MC00"), "{all:?}");

        let text = "[rules]\n[scna]\ninclude = []\n";
        let errs = Config::parse(text).unwrap_err();
        let s = errs[0].primary_span().unwrap();
        assert_eq!(&text[s.offset()..s.offset() + s.len()], "scna");
        assert!(
            errs[0].message.contains("unknown field"),
            "{}",
            errs[0].message
        );
    }
}
