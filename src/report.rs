//! Renders findings: miette reports for people, JSON for machines.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use crate::diagnostic::{Finding, Severity};

/// The text a finding's spans point into, with the name to show for it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: Arc::new(text.into()),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A diagnostic as miette wants it: one source, its labels, and related diagnostics (the
/// spec's side of a finding made in another file).
struct Rendered {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .filter(|_| !self.labels.is_empty())
            .map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)) as Box<_>)
    }
}

fn spec_labels(finding: &Finding) -> Vec<LabeledSpan> {
    finding
        .labels
        .iter()
        .map(|l| {
            let text = (!l.text.is_empty()).then(|| l.text.clone());
            if l.primary {
                LabeledSpan::new_primary_with_span(text, l.span)
            } else {
                LabeledSpan::new_with_span(text, l.span)
            }
        })
        .collect()
}

fn render(finding: &Finding, spec: &SourceFile) -> Rendered {
    let severity = match finding.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let spec_source = || NamedSource::new(&spec.name, Arc::clone(&spec.text));
    let mut r = Rendered {
        message: finding.message.clone(),
        code: Some(format!("{}({})", finding.rule.code, finding.rule.name)),
        severity,
        help: finding.help.clone(),
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
    };
    match &finding.location {
        None => {
            r.source = Some(spec_source());
            r.labels = spec_labels(finding);
        }
        Some(loc) => match &loc.snippet {
            Some((span, text, label)) => {
                r.source = Some(NamedSource::new(&loc.file, Arc::clone(text)));
                r.labels = vec![LabeledSpan::new_primary_with_span(
                    Some(label.clone()),
                    *span,
                )];
                if !finding.labels.is_empty() {
                    r.related.push(Rendered {
                        message: "the spec says".to_string(),
                        code: None,
                        severity: miette::Severity::Advice,
                        help: None,
                        source: Some(spec_source()),
                        labels: spec_labels(finding),
                        related: Vec::new(),
                    });
                }
            }
            None => r.message = format!("{}:{}: {}", loc.file, loc.line, finding.message),
        },
    }
    r
}

/// Renders findings the way a person reads them. `color` only on a terminal that wants it.
pub fn human(findings: &[Finding], source: &SourceFile, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for finding in findings {
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &render(finding, source));
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    message: &'a str,
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
}

#[derive(Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
}

pub fn summary(findings: &[Finding]) -> Summary {
    Summary {
        errors: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
    }
}

/// File, line and column a finding is reported at: its own location, else its primary span
/// in the spec.
fn position<'a>(f: &'a Finding, source: &'a SourceFile) -> (&'a str, usize, usize) {
    match &f.location {
        Some(l) => (&l.file, l.line, l.column),
        None => {
            let (line, column) = f
                .primary_span()
                .map_or((1, 1), |s| source.line_col(s.offset()));
            (&source.name, line, column)
        }
    }
}

/// Labels with the file each is in: the scanned file's span first, then the spec's.
fn json_labels<'a>(f: &'a Finding, source: &'a SourceFile) -> Vec<JsonLabel<'a>> {
    let mut labels = Vec::new();
    if let Some(loc) = &f.location
        && let Some((span, _, text)) = &loc.snippet
    {
        labels.push(JsonLabel {
            file: &loc.file,
            message: text,
            line: loc.line,
            column: loc.column,
            offset: span.offset(),
            length: span.len(),
        });
    }
    for l in &f.labels {
        let (line, column) = source.line_col(l.span.offset());
        labels.push(JsonLabel {
            file: &source.name,
            message: &l.text,
            line,
            column,
            offset: l.span.offset(),
            length: l.span.len(),
        });
    }
    labels
}

/// The JSON shape of DESIGN.md: `{"findings": [...], "summary": {...}}`.
pub fn json(findings: &[Finding], source: &SourceFile) -> String {
    let report = JsonReport {
        findings: findings
            .iter()
            .map(|f| {
                let (file, line, column) = position(f, source);
                JsonFinding {
                    code: f.rule.code,
                    name: f.rule.name,
                    severity: f.severity,
                    message: &f.message,
                    file,
                    line,
                    column,
                    labels: json_labels(f, source),
                    help: f.help.as_deref(),
                }
            })
            .collect(),
        summary: summary(findings),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// GitHub Actions workflow commands: one `::error file=…,line=…,col=…,title=…::message` each.
pub fn github(findings: &[Finding], source: &SourceFile) -> String {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for f in findings {
        let (file, line, col) = position(f, source);
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{level} file={},line={line},col={col},title={}::{}\n",
            prop(file),
            prop(&format!("{} {}", f.rule.code, f.rule.name)),
            data(&message)
        ));
    }
    out
}

/// SARIF 2.1.0, one run, every rule of the catalogue in the driver so code scanning can show
/// the explanation next to each result.
pub fn sarif(findings: &[Finding], source: &SourceFile) -> String {
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<serde_json::Value> = crate::rules::all()
        .map(|r| {
            serde_json::json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "help": {"text": r.explanation},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let (file, line, column) = position(f, source);
            let mut text = f.message.clone();
            if let Some(help) = &f.help {
                text.push_str(&format!(" (help: {help})"));
            }
            serde_json::json!({
                "ruleId": f.rule.code,
                "ruleIndex": crate::rules::all().position(|r| r.code == f.rule.code),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": file},
                        "region": {"startLine": line, "startColumn": column}
                    }
                }]
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "maestroc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let src = SourceFile::new("p.kdl", "a\nßx y\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(2), (2, 1));
        // "ß" is two bytes: offset 4 is the 'x' at column 2.
        assert_eq!(src.line_col(4), (2, 2));
    }
}
