//! The documents the editor has open: their text as the editor holds it, and what was
//! computed from each version — findings with their fixes, the model and its symbol index.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::diagnostics;
use super::symbols::Index;
use super::text::{Encoding, Lines};
use crate::diagnostic::{Finding, Fix};
use crate::model::Platform;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Spec,
    Config,
}

/// A model that parsed and its index; kept while later versions do not parse, so completion
/// still knows the services while a line is half typed.
pub type Model = Rc<(Platform, Index)>;

pub struct Doc {
    pub uri: lsp_types::Uri,
    pub path: Option<PathBuf>,
    pub kind: Kind,
    pub text: String,
    pub version: i32,
    pub lines: Lines,
    /// The findings of `version`, once computed.
    findings: Option<Vec<Finding>>,
    model: Option<(i32, Option<Model>)>,
    last_model: Option<Model>,
}

impl Doc {
    pub fn new(uri: lsp_types::Uri, text: String, version: i32, encoding: Encoding) -> Self {
        let path = super::text::path_of(uri.as_str());
        let kind = if path
            .as_ref()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "maestroc.toml")
        {
            Kind::Config
        } else {
            Kind::Spec
        };
        let lines = Lines::new(&text, encoding);
        Self {
            uri,
            path,
            kind,
            text,
            version,
            lines,
            findings: None,
            model: None,
            last_model: None,
        }
    }

    pub fn replace(&mut self, text: String, version: i32, encoding: Encoding) {
        self.lines = Lines::new(&text, encoding);
        self.text = text;
        self.version = version;
        self.findings = None;
    }

    /// Forget the findings: an input they depend on (`maestroc.toml`) changed.
    pub fn invalidate(&mut self) {
        self.findings = None;
    }

    pub fn is_stale(&self) -> bool {
        self.findings.is_none()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The findings of this version, computed once. `config_text` is the open buffer of the
    /// `maestroc.toml` beside the spec, if any.
    pub fn analyze(&mut self, config_text: Option<&str>) {
        if self.findings.is_none() {
            let found = match self.kind {
                Kind::Config => diagnostics::config_findings(&self.text),
                Kind::Spec => {
                    let config = diagnostics::config_for(self.path.as_deref(), config_text);
                    diagnostics::spec_findings(&self.text, self.path.as_deref(), &config)
                }
            };
            self.findings = Some(found);
        }
    }

    /// The findings `analyze` computed (none before it ran).
    pub fn findings(&self) -> &[Finding] {
        self.findings.as_deref().unwrap_or_default()
    }

    /// The fixes of the computed findings, each at its finding's primary span.
    pub fn fixes(&self) -> Vec<(Range<usize>, &Fix)> {
        self.findings
            .iter()
            .flatten()
            .filter_map(|f| {
                let fix = f.fix.as_ref()?;
                let s = f.primary_span()?;
                Some((s.offset()..s.offset() + s.len(), fix))
            })
            .collect()
    }

    /// The model of this version when it parses.
    pub fn model(&mut self) -> Option<Model> {
        if self.kind != Kind::Spec {
            return None;
        }
        match &self.model {
            Some((v, m)) if *v == self.version => return m.clone(),
            _ => {}
        }
        let m = crate::spec::parse(&self.text).platform.map(|p| {
            let ix = Index::build(&p, &self.text);
            Rc::new((p, ix))
        });
        if m.is_some() {
            self.last_model.clone_from(&m);
        }
        self.model = Some((self.version, m.clone()));
        m
    }

    /// This version's model, else the last one that parsed.
    pub fn any_model(&mut self) -> Option<Model> {
        self.model().or_else(|| self.last_model.clone())
    }
}

/// Open documents by URI.
#[derive(Default)]
pub struct Documents {
    pub docs: HashMap<String, Doc>,
}

impl Documents {
    /// The open `maestroc.toml` in `dir`, if any.
    pub fn config_text(&self, dir: Option<&Path>) -> Option<String> {
        let dir = dir?;
        self.docs
            .values()
            .find(|d| d.kind == Kind::Config && d.dir() == Some(dir))
            .map(|d| d.text.clone())
    }

    /// The document at `key` opened or changed: when it is a `maestroc.toml`, the specs beside
    /// it need their findings again.
    pub fn touched(&mut self, key: &str) {
        let config_dir = self
            .docs
            .get(key)
            .filter(|d| d.kind == Kind::Config)
            .map(|d| d.dir().map(Path::to_path_buf));
        if let Some(dir) = config_dir {
            self.config_changed(dir.as_deref());
        }
    }

    /// The document at `key`, its current version's findings computed with the configuration
    /// that applies to it.
    pub fn analyzed(&mut self, key: &str) -> Option<&mut Doc> {
        let config = self.docs.get(key).and_then(|d| self.config_text(d.dir()));
        let doc = self.docs.get_mut(key)?;
        doc.analyze(config.as_deref());
        Some(doc)
    }

    /// A `maestroc.toml` changed: the specs beside it need their findings again.
    pub fn config_changed(&mut self, dir: Option<&Path>) {
        for d in self.docs.values_mut() {
            if d.kind == Kind::Spec && d.dir() == dir {
                d.invalidate();
            }
        }
    }
}
