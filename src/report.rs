//! Renders findings: miette reports for people, JSON for machines.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::diagnostic::{Finding, Severity};

/// The text a finding's spans point into, with the name to show for it and a line index
/// built once, so that locating N findings costs O(size + N log lines), never O(N × size).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
    index: Arc<LineIndex>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = Arc::new(text.into());
        Self {
            name: name.into(),
            index: Arc::new(LineIndex::new(&text)),
            text,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.index.newlines.partition_point(|&nl| nl < offset);
        let start = if line == 0 {
            0
        } else {
            self.index.newlines[line - 1] + 1
        };
        (line + 1, self.text[start..offset].chars().count() + 1)
    }

    /// Bytes of the source handed to the renderer so far: the guard against rendering
    /// becoming quadratic again (each finding reads a window around its span, not the file).
    pub fn bytes_rendered(&self) -> usize {
        self.index.rendered.load(Ordering::Relaxed)
    }

    fn indexed(&self) -> NamedSource<IndexedText> {
        NamedSource::new(
            &self.name,
            IndexedText {
                text: Arc::clone(&self.text),
                index: Arc::clone(&self.index),
            },
        )
    }
}

/// Where lines start, in the two senses needed: `\n` alone (lines and columns in reports) and
/// miette's (a lone `\r` also ends a line), so rendering can hand miette a small window.
#[derive(Debug, Default)]
struct LineIndex {
    /// Byte offset of every `\n`.
    newlines: Vec<usize>,
    /// Byte offset where each line starts, by miette's rules; `[0]` is 0.
    starts: Vec<usize>,
    rendered: AtomicUsize,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut newlines = Vec::new();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                newlines.push(i);
                starts.push(i + 1);
            } else if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                starts.push(i + 1);
            }
        }
        Self {
            newlines,
            starts,
            rendered: AtomicUsize::new(0),
        }
    }

    /// The line (miette's numbering, 0-based) holding `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }
}

/// A source miette reads through the line index: each `read_span` runs miette's own reader on
/// a window of a few lines around the span and shifts the result back, so the output is
/// exactly miette's while the cost no longer grows with the span's offset.
#[derive(Debug)]
struct IndexedText {
    text: Arc<String>,
    index: Arc<LineIndex>,
}

impl SourceCode for IndexedText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let bytes = self.text.as_bytes();
        let idx = &self.index;
        let first = idx
            .line_of(span.offset())
            .saturating_sub(context_lines_before);
        let end_line = idx.line_of(span.offset() + span.len());
        // One line more than miette reads, so it stops inside the window as it would in the
        // whole text.
        let window_start = idx.starts[first];
        let window_end = idx
            .starts
            .get(end_line + context_lines_after + 2)
            .copied()
            .unwrap_or(bytes.len());
        if span.offset() < window_start || span.offset() + span.len() > bytes.len() {
            return Err(MietteError::OutOfBounds);
        }
        let window = &bytes[window_start..window_end];
        idx.rendered.fetch_add(window.len(), Ordering::Relaxed);
        let local = SourceSpan::new((span.offset() - window_start).into(), span.len());
        let c = window.read_span(&local, context_lines_before, context_lines_after)?;
        let start = window_start + c.span().offset();
        Ok(Box::new(MietteSpanContents::new(
            &bytes[start..start + c.span().len()],
            SourceSpan::new(start.into(), c.span().len()),
            first + c.line(),
            c.column(),
            first + c.line_count(),
        )))
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
    source: Option<Box<dyn SourceCode>>,
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
            .map(|s| s.as_ref() as &dyn miette::SourceCode)
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
    let spec_source = || Box::new(spec.indexed()) as Box<dyn SourceCode>;
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
                r.source = Some(Box::new(
                    SourceFile::new(loc.file.clone(), text.as_str()).indexed(),
                ));
                r.labels = vec![LabeledSpan::new_primary_with_span(
                    Some(label.clone()),
                    *span,
                )];
                if !finding.labels.is_empty() {
                    // miette heads a related report with its severity and code: the code names
                    // the spec file, so the line never reads as an empty `Advice:`.
                    r.related.push(Rendered {
                        message: "what the spec declares".to_string(),
                        code: Some(spec.name.clone()),
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

/// How many findings of one rule are shown in full before the rest are counted: a wall of
/// identical warnings helps nobody (cargo and ruff group them the same way).
pub const SHOWN_PER_RULE: usize = 5;

/// Renders findings the way a person reads them. `color` only on a terminal that wants it.
/// Unless `verbose`, each rule shows its first [`SHOWN_PER_RULE`] findings, then one line for
/// the rest, and the report ends with a count per rule (ruff's `--statistics`).
pub fn human(findings: &[Finding], source: &SourceFile, color: bool, verbose: bool) -> String {
    // A credential's text is never printed: every snippet shows every credential any finding
    // located masked, also in the lines around another finding.
    let masked = findings.iter().any(|f| !f.redact.is_empty()).then(|| {
        let ranges: Vec<std::ops::Range<usize>> = findings
            .iter()
            .flat_map(|f| &f.redact)
            .map(|s| s.offset()..s.offset() + s.len())
            .collect();
        SourceFile::new(
            source.name.clone(),
            crate::credential::redact(&source.text, &ranges),
        )
    });
    let source = masked.as_ref().unwrap_or(source);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    let mut per_rule: BTreeMap<&str, (usize, &'static crate::rules::Rule, Severity)> =
        BTreeMap::new();
    for finding in findings {
        let seen = per_rule
            .entry(finding.rule.code)
            .or_insert((0, finding.rule, finding.severity));
        seen.0 += 1;
        if verbose || seen.0 <= SHOWN_PER_RULE {
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, &render(finding, source));
        }
    }
    let hidden: Vec<_> = per_rule
        .iter()
        .filter(|(_, (n, _, _))| *n > SHOWN_PER_RULE)
        .collect();
    if verbose || hidden.is_empty() {
        return out;
    }
    for (code, (n, rule, _)) in &hidden {
        out.push_str(&format!(
            "… and {} more {code}({}) findings; --verbose shows all\n",
            n - SHOWN_PER_RULE,
            rule.name
        ));
    }
    out.push_str("\nfindings by rule:\n");
    for (code, (n, rule, severity)) in &per_rule {
        out.push_str(&format!(
            "{n:>7}  {code}  {:<8} {}\n",
            severity.as_str(),
            rule.name
        ));
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

    /// A finding over `text` with labels at `spans`.
    fn finding(spans: &[(usize, usize)]) -> Finding {
        let mut f = Finding::new("MC004", "message");
        for (i, (o, l)) in spans.iter().enumerate() {
            let span = SourceSpan::new((*o).into(), *l);
            f = if i == 0 {
                f.at(span, "here")
            } else {
                f.also(span, "and here")
            };
        }
        f
    }

    /// Rendering through the line index is byte-for-byte what miette renders from the whole
    /// text, for spans at the start, middle and end, across lines, several labels, CRLF and
    /// lone CR line ends.
    #[test]
    fn indexed_rendering_equals_miettes_own() {
        let texts = [
            "platform \"a\" {\n    namespace \"b\"\n}\nservice \"x\" {\n    port http 80\n}\n",
            "a\r\nbb\r\nccc\r\ndddd\r\n",
            "one\rtwo\rthree\nfour\n",
            "no newline at all",
            "\n\n\nx\n\n\ny",
        ];
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
        for text in texts {
            let source = SourceFile::new("p.kdl", text);
            let n = text.len();
            let mut cases: Vec<Vec<(usize, usize)>> = Vec::new();
            for o in 0..n {
                cases.push(vec![(o, 1.min(n - o))]);
                cases.push(vec![(o, (n - o).min(7))]);
                cases.push(vec![(o, 0), (n - 1, 1)]);
            }
            for spans in cases {
                let f = finding(&spans);
                let mut indexed = String::new();
                let _ = handler.render_report(&mut indexed, &render(&f, &source));
                let mut plain = String::new();
                let mut whole = render(&f, &source);
                whole.source = Some(Box::new(NamedSource::new("p.kdl", text.to_string())));
                let _ = handler.render_report(&mut plain, &whole);
                assert_eq!(indexed, plain, "{text:?} {spans:?}");
            }
        }
    }

    /// The structural guard against the quadratic path: rendering N findings spread over a
    /// large spec reads O(N) bytes of it, however far into the file they point.
    #[test]
    fn rendering_reads_a_window_per_finding_not_the_file() {
        let line = "    port http 8080 scheme=\"http\"\n";
        let text = line.repeat(20_000);
        let source = SourceFile::new("big.kdl", text.as_str());
        let findings: Vec<Finding> = (0..2_000)
            .map(|i| finding(&[(i * 10 * line.len() + 4, 4)]))
            .collect();
        let out = human(&findings, &source, false, true);
        assert_eq!(out.matches("MC004").count(), 2_000);
        // Each read is a few lines around its span; miette reads each label twice.
        let per_finding = source.bytes_rendered() / findings.len();
        assert!(
            per_finding < 16 * line.len(),
            "{per_finding} bytes per finding"
        );
    }

    #[test]
    fn repeats_of_a_rule_are_grouped_with_statistics() {
        let source = SourceFile::new("p.kdl", "x\n".repeat(100));
        let findings: Vec<Finding> = (0..12).map(|i| finding(&[(i * 2, 1)])).collect();
        let out = human(&findings, &source, false, false);
        assert_eq!(out.matches("× message").count(), SHOWN_PER_RULE);
        assert!(
            out.contains("… and 7 more MC004(wrong-type) findings; --verbose shows all"),
            "{out}"
        );
        assert!(out.contains("     12  MC004  error    wrong-type"), "{out}");
        let all = human(&findings, &source, false, true);
        assert_eq!(all.matches("× message").count(), 12);
        assert!(!all.contains("--verbose"));
    }
}
