//! The findings of `check` for a document as the editor holds it, as LSP diagnostics.
//!
//! The spec goes through the same `compile_from` as `check`, with the same `maestroc.toml`
//! levels and the same NodePort registry check, so code, span, message and help are the
//! ones `check` prints. What `check` adds beyond the spec's own text is left to `check`:
//! whether `output/` is current (it never is mid-edit) and `--scan` of the repository.

use std::path::Path;

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
};

use super::text::Lines;
use crate::config::Config;
use crate::diagnostic::{Finding, Severity};

/// The configuration that applies to a spec at `spec`: `maestroc.toml` beside it, from the
/// editor's buffer when it is open there (`open_config`), else from disk. A configuration that
/// does not parse applies no levels; its own diagnostics say why.
pub fn config_for(spec: Option<&Path>, open_config: Option<&str>) -> Config {
    let text = match open_config {
        Some(t) => Some(t.to_string()),
        None => spec
            .and_then(Path::parent)
            .map(|d| d.join("maestroc.toml"))
            .and_then(|p| crate::read::capped_text(&p, crate::read::MAX_SIDE_FILE_BYTES).ok()),
    };
    text.and_then(|t| Config::parse(&t).ok())
        .unwrap_or_default()
}

/// `check`'s findings about the spec's text, without the output and scan comparisons.
pub fn spec_findings(text: &str, spec: Option<&Path>, config: &Config) -> Vec<Finding> {
    let no_files = crate::resolve::files::no_files;
    let on_disk = spec.map(crate::read::spec_dir_loader);
    let loader: crate::resolve::files::Loader<'_> = match &on_disk {
        Some(l) => l,
        None => &no_files,
    };
    let (compiled, mut findings) = crate::resolve::compile_from(text, config, loader);
    if let (Some(c), Some(spec)) = (&compiled, spec) {
        let mut more = crate::diagnostic::Findings::default();
        crate::registry::check_named(&c.platform, spec, &mut more);
        findings.extend(config.apply(more));
    }
    findings.into_sorted()
}

/// `maestroc.toml`'s own problems.
pub fn config_findings(text: &str) -> Vec<Finding> {
    Config::parse(text).err().unwrap_or_default()
}

/// One finding as the editor shows it: at its primary span, with the other labels and the
/// help as related information pointing into the same document.
pub fn to_lsp(f: &Finding, text: &str, lines: &Lines, uri: &lsp_types::Uri) -> Diagnostic {
    let (start, end) = f
        .primary_span()
        .map_or((0, 0), |s| (s.offset(), s.offset() + s.len()));
    let range = lines.range(text, start, end);
    let mut message = f.message.clone();
    if let Some(loc) = &f.location {
        // About another file (the registry): the spec has no span for it.
        message = format!("{}:{}: {message}", loc.file, loc.line);
    }
    let mut related: Vec<DiagnosticRelatedInformation> = f
        .labels
        .iter()
        .filter(|l| !l.primary && !l.text.is_empty())
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(
                uri.clone(),
                lines.range(text, l.span.offset(), l.span.offset() + l.span.len()),
            ),
            message: l.text.clone(),
        })
        .collect();
    if let Some(help) = &f.help {
        related.push(DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range),
            message: format!("help: {help}"),
        });
    }
    let primary_label = f.labels.iter().find(|l| l.primary).map(|l| l.text.clone());
    Diagnostic {
        range,
        severity: Some(match f.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(f.code().to_string())),
        source: Some("maestroc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: Some(serde_json::json!({
            "rule": f.rule.name,
            "label": primary_label,
            "help": f.help,
        })),
        ..Diagnostic::default()
    }
}
