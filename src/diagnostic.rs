//! Findings: what every stage reports, as plain values with a rule code and labelled spans.
//!
//! Stages collect findings instead of stopping at the first one. Rendering (miette for humans,
//! JSON for machines) happens once, at the edge, in `report`.

use miette::SourceSpan;
use serde::Serialize;

use crate::rules::{self, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A span in the spec and what to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: SourceSpan,
    pub text: String,
    pub primary: bool,
}

/// A place in a file other than the spec (a generated or a scanned file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The span in that file and its text, when the report can show a snippet of it.
    pub snippet: Option<(SourceSpan, std::sync::Arc<String>, String)>,
}

/// One problem found, tied to its rule.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    /// Spans in the spec.
    pub labels: Vec<Label>,
    /// Set when the finding is about another file; its spans then do not apply.
    pub location: Option<Location>,
    pub help: Option<String>,
    /// Spans of the spec whose text is a credential: shown masked, never printed.
    pub redact: Vec<SourceSpan>,
    /// The repair the help describes, when it is mechanical: an editor's quick fix.
    pub fix: Option<Fix>,
}

/// A mechanical repair of the spec, as data: the language server turns it into a text edit
/// against the document it has, so the finding need not carry the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Replace `was`, the spec's text at `span`, with `with` (a literal address with its
    /// `{KEY}`). `was` guards against a span that escapes in the string moved.
    Replace {
        span: SourceSpan,
        was: String,
        with: String,
    },
    /// Add `depends-on <on>` to the service `service`.
    AddDependsOn { service: String, on: String },
    /// Give `service`'s port `port` the lowest NodePort of the registry nothing holds.
    AllocateNodePort { service: String, port: String },
    /// Add `reason="…"` at the end of the node at `node`.
    AddReason { node: SourceSpan },
}

impl Finding {
    /// A finding at the rule's default severity.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        let rule = rules::rule(code);
        Self {
            rule,
            severity: rule.severity,
            message: message.into(),
            labels: Vec::new(),
            location: None,
            help: None,
            redact: Vec::new(),
            fix: None,
        }
    }

    /// A finding about a file other than the spec.
    pub fn in_file(mut self, file: impl Into<String>, line: usize, column: usize) -> Self {
        self.location = Some(Location {
            file: file.into(),
            line,
            column,
            snippet: None,
        });
        self
    }

    /// A finding at `span` of another file whose text is `text`; `label` is said at the span.
    /// Spec labels added with `at`/`also` are shown beside it.
    pub fn in_text(
        mut self,
        file: impl Into<String>,
        text: &std::sync::Arc<String>,
        span: std::ops::Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.location = Some(Location {
            file: file.into(),
            line,
            column,
            snippet: Some((
                SourceSpan::new(span.start.into(), span.len()),
                std::sync::Arc::clone(text),
                label.into(),
            )),
        });
        self
    }

    /// The span the finding is about.
    pub fn at(mut self, span: SourceSpan, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: self.labels.iter().all(|l| !l.primary),
        });
        self
    }

    /// A secondary span that explains the primary one (the other half of a collision).
    pub fn also(mut self, span: SourceSpan, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: false,
        });
        self
    }

    /// A label on every port a service declares: the spec's side of a port drift.
    pub fn with_ports_of(mut self, svc: &crate::model::Service) -> Self {
        for p in &svc.ports {
            self = self.at(
                p.number.span,
                format!("{} {}", p.name.value, p.number.value),
            );
        }
        self
    }

    /// Masks `span` wherever the spec's text is shown with this finding.
    pub fn redacting(mut self, span: SourceSpan) -> Self {
        self.redact.push(span);
        self
    }

    /// The mechanical repair the help describes.
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    pub fn primary_span(&self) -> Option<SourceSpan> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// Accumulates findings across a stage.
#[derive(Debug, Default)]
pub struct Findings(Vec<Finding>);

impl Findings {
    pub fn push(&mut self, f: Finding) {
        self.0.push(f);
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Finding>) {
        self.0.extend(other);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|f| f.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Finding> {
        self.0.iter()
    }
    /// Findings in source order, so reports read top to bottom like the file.
    pub fn into_sorted(mut self) -> Vec<Finding> {
        self.0.sort_by(|a, b| {
            let key = |f: &Finding| {
                (
                    f.location.as_ref().map(|l| (l.file.clone(), l.line)),
                    f.primary_span().map_or(usize::MAX, |s| s.offset()),
                    f.rule.code,
                )
            };
            key(a).cmp(&key(b))
        });
        self.0
    }
}

impl IntoIterator for Findings {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
