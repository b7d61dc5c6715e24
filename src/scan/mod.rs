//! The drift scanner: reads the repository around the spec and reports every place that
//! disagrees with it (MC201–MC204, MC206), credentials committed with the code (MC302, MC305,
//! MC306), plus files it had to skip (MC207).
//!
//! `walk` enumerates files in parallel; `extract` finds port facts in text; this module
//! judges each fact against `knowledge` (what the spec says). Findings come back sorted by
//! file and line, so the report is the same on every run.

mod condition;
pub mod credentials;
mod extract;
mod helm;
mod knowledge;
mod manifest;
mod rendered;
mod standing;
mod walk;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;

use extract::Fact;
pub use knowledge::Knowledge;
pub use manifest::document_ranges;

/// Credentials in a text (private keys, passwords in URIs, default credentials), for `import`.
pub fn credentials(text: &str) -> Vec<credentials::Credential> {
    credentials::find(text)
}
use walk::{Collector, Entry, Skip};

use crate::diagnostic::Finding;
use crate::model::{Platform, Service};

/// Counts of what the walk saw, for the summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub scanned: usize,
    pub binary: usize,
    pub too_large: usize,
    pub not_utf8: usize,
    pub unreadable: usize,
}

/// Scans `roots` (each reported relative to itself). `spec_dir` anchors `source` paths;
/// `exclude` holds directories never entered (the output directory).
/// `globs` are gitignore-style patterns of paths never scanned (`[scan] exclude`).
pub fn scan(
    platform: &Platform,
    spec_dir: &Path,
    roots: &[PathBuf],
    exclude: &[PathBuf],
    globs: &[String],
    charts: &[crate::config::ChartConfig],
) -> (Vec<Finding>, Stats) {
    let mut findings = Vec::new();
    let mut stats = Stats::default();
    for root in roots {
        let k = Knowledge::new(platform, spec_dir, root);
        let address_re = addresses_of(platform);
        let collected: Collector<(Vec<Finding>, Option<Skip>)> = Collector::default();
        let found_charts: Collector<PathBuf> = Collector::default();
        walk::walk(root, exclude, globs, |entry| {
            let result = match entry {
                Entry::Text { rel, text } => {
                    if rel.file_name().is_some_and(|n| n == "Chart.yaml") {
                        found_charts.push_all([rel.clone()]);
                    }
                    (check_file(&k, address_re.as_ref(), &rel, text), None)
                }
                Entry::Skipped { rel, why, detail } => (skipped(&rel, why, &detail), Some(why)),
            };
            collected.push_all([result]);
        });
        // A chart helm renders is judged by what it renders: its templates' findings read
        // without rendering give way to those.
        let rendered = rendered::render(
            &k,
            &found_charts.into_inner(),
            &configured(spec_dir, root, charts),
        );
        let under_rendered = |f: &Finding| {
            f.rule.code == "MC206"
                && f.location.as_ref().is_some_and(|l| {
                    rendered
                        .charts
                        .iter()
                        .any(|c| Path::new(&l.file).starts_with(c))
                })
        };
        for (f, skip) in collected.into_inner() {
            match skip {
                None => stats.scanned += 1,
                Some(Skip::Binary) => stats.binary += 1,
                Some(Skip::TooLarge) => stats.too_large += 1,
                Some(Skip::NotUtf8) => stats.not_utf8 += 1,
                Some(Skip::Unreadable) => stats.unreadable += 1,
            }
            findings.extend(f.into_iter().filter(|f| !under_rendered(f)));
        }
        findings.extend(rendered.findings);
    }
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            f.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line, l.column))
        };
        key(a).cmp(&key(b)).then(a.rule.code.cmp(b.rule.code))
    });
    (findings, stats)
}

/// The configured charts whose directories lie inside `root`, with their paths relative to it
/// (values files absolute: helm reads them).
fn configured(
    spec_dir: &Path,
    root: &Path,
    charts: &[crate::config::ChartConfig],
) -> Vec<crate::config::ChartConfig> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    charts
        .iter()
        .filter_map(|c| {
            let dir = spec_dir.join(&c.path).canonicalize().ok()?;
            let rel = dir.strip_prefix(&root).ok()?;
            Some(crate::config::ChartConfig {
                path: rel.to_string_lossy().into_owned(),
                release: c.release.clone(),
                values: c
                    .values
                    .iter()
                    .map(|v| spec_dir.join(v).to_string_lossy().into_owned())
                    .collect(),
                set: c.set.clone(),
            })
        })
        .collect()
}

/// What the scanner finds in one file's text at `rel` (relative to `spec_dir`), without
/// touching the disk: the per-file half of [`scan`], for the fuzz targets and for tools that
/// hold a file in memory (an editor buffer).
pub fn scan_text(platform: &Platform, spec_dir: &Path, rel: &Path, text: String) -> Vec<Finding> {
    let k = Knowledge::new(platform, spec_dir, spec_dir);
    let address_re = addresses_of(platform);
    check_file(&k, address_re.as_ref(), rel, text)
}

/// The pattern of every spec service's host (its name, or an external one's `host=`) followed
/// by a port: what an address in code looks like.
fn addresses_of(platform: &Platform) -> Option<Regex> {
    let hosts: Vec<String> = platform
        .services
        .iter()
        .map(|s| match &s.external {
            Some(h) => h.value.clone(),
            None => s.name.value.clone(),
        })
        .collect();
    extract::address_regex(&hosts)
}

fn display(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

fn skipped(rel: &Path, why: Skip, detail: &str) -> Vec<Finding> {
    let what = match why {
        // Binary files are expected (images, archives); counted in the summary only.
        Skip::Binary => return Vec::new(),
        Skip::TooLarge => format!(
            "skipped: larger than {} MiB ({detail})",
            walk::MAX_FILE_BYTES / (1024 * 1024)
        ),
        Skip::NotUtf8 => format!("skipped: not UTF-8 ({detail})"),
        Skip::Unreadable => format!("skipped: cannot be read ({detail})"),
    };
    vec![Finding::new("MC207", what).in_file(display(rel), 1, 1)]
}

/// Variable names that carry wiring (where a service is), as opposed to behaviour flags.
fn is_wiring_name(name: &str) -> bool {
    // `Ledger__Port` (a .NET section) is spelt in any case.
    let name = &name.to_ascii_uppercase();
    const SUFFIXES: &[&str] = &[
        "_PORT",
        "_ADDRESS",
        "_ADDR",
        "_HOST",
        "_URL",
        "_URI",
        "_ENDPOINT",
        "_ENDPOINTS",
    ];
    // Kubernetes' own service links (`REDIS_SERVICE_HOST`) are injected by the kubelet.
    !name.ends_with("_SERVICE_HOST")
        && !name.ends_with("_SERVICE_PORT")
        && !name.starts_with("KUBERNETES_")
        && (SUFFIXES.iter().any(|s| name.ends_with(s))
            // Spring's relaxed binding of `shop.ui.endpoints.catalog`.
            || name.contains("_ENDPOINTS_")
            || name.contains("_ENDPOINT_"))
}

/// Which service an address names, given what followed the service name.
fn resolve_host<'a>(k: &Knowledge<'a>, host: &str, suffix: &str) -> Option<(usize, &'a Service)> {
    let p = k.platform;
    p.services
        .iter()
        .enumerate()
        .find(|(_, s)| match &s.external {
            Some(h) => h.value == host && suffix.is_empty(),
            None => {
                let ns = s.namespace(p);
                s.name.value == host
                    && (suffix.is_empty()
                        || suffix == format!(".{ns}")
                        || suffix == format!(".{ns}.svc")
                        || suffix == format!(".{ns}.svc.{}", p.cluster_domain.value))
            }
        })
}

fn ports_text(svc: &Service) -> String {
    let mut v: Vec<String> = svc
        .ports
        .iter()
        .map(|p| p.number.value.to_string())
        .collect();
    for p in &svc.ports {
        if p.exposed() != p.number.value {
            v.push(format!("{} (Service)", p.exposed()));
        }
    }
    v.join(", ")
}

fn check_file(
    k: &Knowledge<'_>,
    address_re: Option<&Regex>,
    rel: &Path,
    text: String,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let owner = k.owner_of(rel);
    let standing = standing::of(rel);
    // A compose file describes many services (the message broker, the database beside the
    // service); its ports are not the directory owner's listen ports.
    let port_owner = owner.filter(|_| !is_compose(rel));
    // Cheap pre-check: most files mention neither a service nor an environment read.
    let mut facts = Vec::new();
    // Extractors read code: a comment mentioning `orchestrator:50052` is prose. Comments are
    // blanked (same length, so every span still points into the real text);
    // credentials, manifests and suppressions read the file as it is.
    let lang = Lang::of(rel);
    let code = lang.blank_comments(&text);
    let code: &str = &code;
    if let Some(re) = address_re {
        extract::addresses(code, re, &mut facts);
    }
    // A Kubernetes object is read as a manifest, never as code: its `port: 80` is a Service
    // port, not a listen port, even inside a service's source directory.
    let is_manifest = manifest::is_manifest(rel, &text);
    if !is_manifest && (code.contains("PORT") || code.contains("port") || code.contains("Port")) {
        extract::port_assignments(code, lang == Lang::Yaml, &mut facts);
    }
    if port_owner.is_some() && !is_manifest {
        extract::binds(code, &mut facts);
        if let Some(o) = port_owner {
            keep_agreeing_expose(&k.service(o).ports, code, &mut facts);
        }
    }
    if !is_manifest
        && (code.contains("env")
            || code.contains("Env")
            || code.contains("ENV")
            || code.contains("${")
            || code.contains("Configuration[")
            || code.contains(".GetValue"))
    {
        extract::env_reads(code, &mut facts);
        if code.contains("${") && (lang == Lang::Java || is_spring_config(rel)) {
            extract::property_reads(code, &mut facts);
        }
        if lang == Lang::CSharp {
            extract::section_reads(code, &mut facts);
        }
    }
    let manifest = manifest::check(k, rel, &text);
    let quoted_only = matches!(
        lang,
        Lang::Python
            | Lang::Go
            | Lang::Js
            | Lang::Java
            | Lang::CSharp
            | Lang::Rust
            | Lang::Elixir
            | Lang::Ruby
            | Lang::Php
    );
    let secrets = credentials::find_in(&text, code, quoted_only);
    if facts.is_empty() && manifest.is_empty() && secrets.is_empty() {
        return out;
    }
    let file = display(rel);
    let text = Arc::new(text);
    let mut warned_undeclared: Vec<usize> = Vec::new();
    for fact in facts {
        match fact {
            Fact::Address {
                host,
                suffix,
                scheme: _,
                port,
                span,
            } => {
                let Some((i, svc)) = resolve_host(k, &host, &suffix) else {
                    continue;
                };
                if let Some(port) = port {
                    let known = svc.ports.iter().any(|p| {
                        p.number.value.get() == port
                            || (!svc.is_external() && p.exposed().get() == port)
                    });
                    if !known {
                        let mut f =
                            Finding::new(
                                "MC201",
                                format!(
                                    "`{}` is addressed on port {port}, but the spec gives it {}",
                                    svc.name.value,
                                    ports_text(svc)
                                ),
                            )
                            .in_text(&file, &text, span.clone(), format!("port {port}"))
                            .help(lang.read_instead(&format!(
                                "{}_ADDRESS",
                                crate::model::key_prefix(svc)
                            )));
                        f = f.with_ports_of(svc);
                        if svc.ports.is_empty() {
                            // The spec says nothing to contradict: it is incomplete, not the
                            // address wrong.
                            f.severity = crate::diagnostic::Severity::Warning;
                            f.message = format!(
                                "`{}` is addressed on port {port}, but the spec declares no port for it",
                                svc.name.value
                            );
                            f.help = Some(format!(
                                "declare it: `port NAME {port}` in `service \"{}\"`",
                                svc.name.value
                            ));
                        }
                        out.push(f);
                    }
                }
                if let Some(o) = owner
                    && o != i
                    && !k.depends_on(o, i)
                    && !warned_undeclared.contains(&i)
                {
                    warned_undeclared.push(i);
                    let me = k.service(o);
                    out.push(
                            Finding::new(
                                "MC204",
                                format!(
                                    "`{}` talks to `{}` but does not declare `depends-on {}`",
                                    me.name.value, svc.name.value, svc.name.value
                                ),
                            )
                            .in_text(&file, &text, span, format!("address of {}", svc.name.value))
                            .at(me.name.span, "no depends-on for it here")
                            .help(format!(
                                "add `depends-on {}` to `{}`: it is then applied first, its address is injected and its NetworkPolicy admits `{}`",
                                svc.name.value, me.name.value, me.name.value
                            )),
                        );
                }
            }
            Fact::PortAssign { name, port, span } => {
                if let Some(key) = k.keys.get(&name) {
                    if key.value != port.to_string() {
                        out.push(
                            Finding::new(
                                "MC201",
                                format!("{name} is {port} here, but the spec says {}", key.value),
                            )
                            .in_text(&file, &text, span, format!("{port}"))
                            .at(key.span, format!("{name} = {}", key.value))
                            .help(lang.read_instead(&name)),
                        );
                    }
                    continue;
                }
                let Some(o) = port_owner else { continue };
                if k.is_port_of_another(o, port) {
                    continue;
                }
                let me = k.service(o);
                // In its own source every port-named constant (`listenPort`, `GRPC_PORT`,
                // `server.port`) is a listen port of it or of a dependency.
                // In its own source, a port may be its own or a dependency's.
                // Its own Service port too: a chart's `service.port: 80` in its own directory
                // is the Service port the spec gives it, not a listen port.
                let mut allowed: Vec<u16> = me
                    .ports
                    .iter()
                    .flat_map(|p| [p.number.value.get(), p.exposed().get()])
                    .collect();
                for dep in &me.depends_on {
                    if let Some(d) = k
                        .platform
                        .services
                        .iter()
                        .find(|s| s.name.value == dep.value)
                    {
                        allowed.extend(
                            d.ports
                                .iter()
                                .flat_map(|p| [p.number.value.get(), p.exposed().get()]),
                        );
                    }
                }
                if !me.ports.is_empty() && !allowed.contains(&port) {
                    out.push(own_port_finding(me, &file, &text, span, port, lang));
                }
            }
            Fact::Bind { port, span } => {
                let Some(o) = port_owner else { continue };
                // Another service's port in a bind call may be a client's (a test server, a
                // proxy's upstream); an nginx `listen` directive is always the server's own.
                let directive = text[span.clone()].starts_with("listen");
                if !directive && k.is_port_of_another(o, port) {
                    continue;
                }
                let me = k.service(o);
                if !me.ports.is_empty() && !me.ports.iter().any(|p| p.number.value.get() == port) {
                    out.push(own_port_finding(me, &file, &text, span, port, lang));
                }
            }
            Fact::EnvRead {
                name,
                fallback,
                span,
            } => {
                env_read(
                    k, owner, &file, &text, &name, fallback, span, lang, &mut out,
                );
            }
            // Another property source (the application's own YAML) may set a dotted
            // property: only what the environment is known to give it is compared.
            Fact::PropertyRead {
                env,
                fallback,
                span,
                ..
            } => {
                // Configuration keys are matched without regard to case (.NET's are).
                if let Some(o) = owner
                    && let Some(env) = k.provided_like(o, &env)
                {
                    env_read(k, owner, &file, &text, env, fallback, span, lang, &mut out);
                }
            }
        }
    }
    for c in secrets {
        out.push(c.into_finding(&file, &text));
    }
    let mut out: Vec<Finding> = out.into_iter().map(|f| standing.apply(f)).collect();
    for m in manifest {
        // A variant's object that names the spec's own namespace claims to be the platform.
        let claims = m.claims_namespace();
        let f = m.into_finding(&file, &text);
        out.push(if claims { f } else { standing.apply(f) });
    }
    suppress(&file, &text, out)
}

/// Spring Boot's configuration files: `application*.yml|yaml|properties`, `bootstrap*…`.
fn is_spring_config(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    (name.starts_with("application") || name.starts_with("bootstrap"))
        && [".yml", ".yaml", ".properties"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// `docker-compose.yml`, `compose.yaml`, `docker-compose.prod.yml`, …
fn is_compose(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    (name.starts_with("docker-compose") || name.starts_with("compose."))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// A Dockerfile's `EXPOSE` lists what the image may listen on: one `EXPOSE` of the service's
/// own port is agreement, and the others beside it (an ASP.NET image's 443 next to its 80)
/// are no contradiction. Only a Dockerfile exposing none of its ports is evidence.
fn keep_agreeing_expose(ports: &[crate::model::Port], code: &str, facts: &mut Vec<Fact>) {
    let is_expose =
        |f: &Fact| matches!(f, Fact::Bind { span, .. } if code[span.clone()].starts_with("EXPOSE"));
    // `EXPOSE 2222 80` names several: the whole line counts.
    let line_ports = |f: &Fact| -> Vec<u16> {
        let Fact::Bind { span, .. } = f else {
            return Vec::new();
        };
        let rest = &code[span.start..];
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        line.split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    let agrees = facts.iter().any(|f| {
        is_expose(f)
            && line_ports(f)
                .iter()
                .any(|n| ports.iter().any(|p| p.number.value.get() == *n))
    });
    if agrees {
        facts.retain(|f| !is_expose(f));
    }
}

/// `maestroc: ignore[MC203] reason` in a comment on a finding's line (or alone on the line
/// above it) silences findings of those codes there. A suppression without a reason is
/// reported (MC208), and so is one that silenced nothing (MC209), as ruff's RUF100 does.
fn suppress(file: &str, text: &Arc<String>, findings: Vec<Finding>) -> Vec<Finding> {
    const MARK: &str = "maestroc: ignore[";
    if !text.contains(MARK) {
        return findings;
    }
    struct Suppression {
        applies_to: usize,
        codes: Vec<String>,
        span: std::ops::Range<usize>,
        used: bool,
    }
    let mut sups = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(at) = line.find(MARK) {
            let rest = &line[at + MARK.len()..];
            if let Some(close) = rest.find(']') {
                let codes = rest[..close]
                    .split(',')
                    .map(|c| c.trim().to_ascii_uppercase())
                    .filter(|c| !c.is_empty())
                    .collect();
                let before = line[..at].trim();
                // A comment alone on its line speaks for the next line.
                let alone = before.chars().all(|c| "#/-*<!;".contains(c));
                let span = offset + at..offset + at + MARK.len() + close + 1;
                sups.push(Suppression {
                    applies_to: if alone { i + 2 } else { i + 1 },
                    codes,
                    span,
                    used: false,
                });
            }
        }
        offset += line.len();
    }
    let mut kept = Vec::new();
    for f in findings {
        let line = f.location.as_ref().map(|l| l.line);
        let hit = sups
            .iter_mut()
            .find(|s| Some(s.applies_to) == line && s.codes.iter().any(|c| c == f.rule.code));
        match hit {
            Some(s) => s.used = true,
            None => kept.push(f),
        }
    }
    // Re-read for the reports: a missing reason, an unused suppression.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(at) = line.find(MARK) {
            let rest = &line[at + MARK.len()..];
            if let Some(close) = rest.find(']') {
                let reason = rest[close + 1..]
                    .trim()
                    .trim_end_matches(['*', '/', '-', '>', '#'])
                    .trim();
                let span = offset + at..offset + at + MARK.len() + close + 1;
                if reason.is_empty() {
                    kept.push(
                        Finding::new("MC208", "a suppression without a reason")
                            .in_text(file, text, span.clone(), "why is this fine?")
                            .help("say why after the codes: `maestroc: ignore[MC203] read only when tracing is on`"),
                    );
                }
                if let Some(s) = sups.iter().find(|s| s.span == span && !s.used) {
                    kept.push(
                        Finding::new(
                            "MC209",
                            format!("suppression of {} silences nothing", s.codes.join(", ")),
                        )
                        .in_text(file, text, span, "no such finding here")
                        .help("remove it: the finding it was for is gone (or on another line)"),
                    );
                }
            }
        }
        offset += line.len();
    }
    kept
}

/// Where a line comment starts in `line`: at the line's first non-blank character, or (when
/// the language has `trailing` comments) at a `marker` after whitespace and outside the line's
/// quoted strings.
fn comment_start(line: &str, marker: &str, trailing: bool) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    if line[indent..].starts_with(marker) {
        return Some(indent);
    }
    if !trailing {
        return None;
    }
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1, // the escaped byte
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if matches!(b, b'"' | b'\'' | b'`') => quote = Some(b),
            None if bytes[i..].starts_with(marker.as_bytes())
                && i > 0
                && matches!(bytes[i - 1], b' ' | b'\t') =>
            {
                return Some(i);
            }
            None => {}
        }
        i += 1;
    }
    None
}

/// The language of a scanned file, so that help says what to write in it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    Go,
    Js,
    Java,
    CSharp,
    Rust,
    Shell,
    Dockerfile,
    Yaml,
    Properties,
    /// .ini, .conf, .cfg, .toml
    Ini,
    Elixir,
    Ruby,
    Php,
    Other,
}

impl Lang {
    /// How the language writes blocks, for telling conditional reads (`condition.rs`).
    fn blocks(self) -> Option<condition::Blocks> {
        match self {
            Lang::Go | Lang::Js | Lang::Java | Lang::CSharp | Lang::Rust => {
                Some(condition::Blocks::Braces)
            }
            Lang::Python => Some(condition::Blocks::Indent),
            _ => None,
        }
    }

    fn of(rel: &Path) -> Lang {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with("dockerfile") || name.ends_with(".dockerfile") {
            return Lang::Dockerfile;
        }
        match rel.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "py" => Lang::Python,
            "go" => Lang::Go,
            "js" | "mjs" | "cjs" | "ts" | "tsx" | "jsx" => Lang::Js,
            "java" | "kt" => Lang::Java,
            "cs" => Lang::CSharp,
            "rs" => Lang::Rust,
            "sh" | "bash" | "env" => Lang::Shell,
            "yaml" | "yml" => Lang::Yaml,
            "properties" => Lang::Properties,
            "ini" | "cfg" | "conf" | "toml" => Lang::Ini,
            "ex" | "exs" => Lang::Elixir,
            "rb" => Lang::Ruby,
            "php" => Lang::Php,
            _ => Lang::Other,
        }
    }

    /// The line-comment marker of the language, when it has one maestroc reads.
    fn line_comment(self) -> Option<&'static str> {
        match self {
            Lang::Python
            | Lang::Shell
            | Lang::Dockerfile
            | Lang::Yaml
            | Lang::Properties
            | Lang::Elixir
            | Lang::Ruby => Some("#"),
            Lang::Go | Lang::Js | Lang::Java | Lang::CSharp | Lang::Rust | Lang::Php => Some("//"),
            // `;` here; `#` too, by the second pass of `blank_comments`.
            Lang::Ini => Some(";"),
            Lang::Other => None,
        }
    }

    /// `text` with every line comment replaced by spaces (byte for byte, newlines kept): whole
    /// comment lines, and a trailing comment after code when its marker stands after
    /// whitespace and outside any quoted string on that line (`port = 8080  # was 50052`,
    /// but not `"http://orchestrator:50055"`). A line whose quotes do not close (a Rust
    /// lifetime, a string running over lines) keeps its tail: reading too much code is the
    /// safe side.
    fn blank_comments(self, text: &str) -> std::borrow::Cow<'_, str> {
        let Some(marker) = self.line_comment() else {
            return std::borrow::Cow::Borrowed(text);
        };
        if self == Lang::Ini {
            // INI-like files (.ini, .conf, .toml) comment whole lines with `;` or `#`.
            let once = blank_with(text, ";", false);
            return match blank_with(&once, "#", false) {
                std::borrow::Cow::Borrowed(_) => once,
                std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s),
            };
        }
        // A Dockerfile's `#` is a comment only at the start of a line, and in a .properties
        // value it is part of the value.
        let trailing = !matches!(self, Lang::Dockerfile | Lang::Properties);
        blank_with(text, marker, trailing)
    }
}

/// `text` with each comment of `marker` blanked (whole lines; trailing ones too when
/// `trailing`), offsets kept.
fn blank_with<'t>(text: &'t str, marker: &str, trailing: bool) -> std::borrow::Cow<'t, str> {
    if !text.contains(marker) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        match comment_start(body, marker, trailing) {
            Some(at) => {
                out.push_str(&body[..at]);
                // Spaces for every byte keep offsets (and so line and column) exact.
                out.extend(std::iter::repeat_n(' ', body.len() - at));
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    std::borrow::Cow::Owned(out)
}

impl Lang {
    /// How to read `var` from the environment in this language, as a help sentence.
    fn read_instead(self, var: &str) -> String {
        let how = match self {
            Lang::Python => format!("`os.environ[\"{var}\"]`"),
            Lang::Go => format!("`os.Getenv(\"{var}\")` (and fail when it is empty)"),
            Lang::Js => format!("`process.env.{var}` (and fail when it is unset)"),
            Lang::Java => format!("`System.getenv(\"{var}\")`"),
            Lang::CSharp => format!("`Environment.GetEnvironmentVariable(\"{var}\")`"),
            Lang::Rust => format!("`std::env::var(\"{var}\")?`"),
            Lang::Shell => format!("`${{{var}:?}}`"),
            Lang::Properties => format!("`${{{var}}}`"),
            Lang::Elixir => format!("`System.fetch_env!(\"{var}\")`"),
            Lang::Ruby => format!("`ENV.fetch(\"{var}\")`"),
            Lang::Php => format!("`getenv('{var}')` (and fail when it is false)"),
            Lang::Dockerfile => {
                return format!(
                    "don't bake it into the image: {var} comes from the service-ports ConfigMap at run time; remove the literal"
                );
            }
            Lang::Yaml => {
                return format!(
                    "reference it instead of a literal: `valueFrom: {{configMapKeyRef: {{name: service-ports, key: {var}}}}}` — or let `maestroc build` generate this manifest"
                );
            }
            Lang::Ini | Lang::Other => {
                return format!(
                    "read {var} from the environment (the service-ports ConfigMap provides it) instead of a literal"
                );
            }
        };
        format!("read it with {how}: the service-ports ConfigMap provides {var}")
    }
}

fn own_port_finding(
    me: &Service,
    file: &str,
    text: &Arc<String>,
    span: std::ops::Range<usize>,
    port: u16,
    lang: Lang,
) -> Finding {
    let mut f = Finding::new(
        "MC201",
        format!(
            "`{}` listens on {port} here, but the spec gives it {}",
            me.name.value,
            ports_text(me)
        ),
    )
    .in_text(file, text, span, format!("port {port}"))
    .help(if lang == Lang::Dockerfile {
        format!(
            "write the spec's port (`EXPOSE {}`): the server binds `{}_PORT` from the service-ports ConfigMap — or change the spec if {port} is right",
            me.primary_port().map_or(0, |p| p.number.value.get()),
            crate::model::key_prefix(me)
        )
    } else {
        format!(
            "{} — or change the spec if {port} is right",
            lang.read_instead(&format!("{}_PORT", crate::model::key_prefix(me)))
        )
    });
    f = f.with_ports_of(me);
    f
}

/// How surely the read at `span` stops the program when its variable is unset, by the
/// language's own semantics. Certain (`Error`): Python's `os.environ["X"]` outside a `try:` and
/// not guarded on its line (`if "X" in os.environ and …`), Ruby's `ENV.fetch("X")` without a
/// default, Elixir's `System.fetch_env!`, Rust's `env::var("X")` unwrapped. Likely (`Warning`):
/// Spring's `${X}` without a default (it fails only if the property is bound, which a profile
/// may decide) and Go's `mustMapEnv`/`MustGetenv` (often inside an init called under a flag).
/// Go's `os.Getenv`, Node's `process.env.X`, Java's `System.getenv` and a shell's `${X}` give
/// an empty value instead: no evidence.
fn fails_when_unset(
    text: &str,
    span: &std::ops::Range<usize>,
    file: &str,
    lang: Lang,
) -> Option<crate::diagnostic::Severity> {
    use crate::diagnostic::Severity::{Error, Warning};
    let read = &text[span.clone()];
    let after = text[span.end..].trim_start();
    let line_range = extract::line_at(text, span.start);
    let line_start = line_range.start;
    let line = &text[line_range];
    let spring_config = is_spring_config(Path::new(file));
    if read.starts_with("os.environ[") {
        let guarded = line.contains("in os.environ")
            || ["if ", "elif ", "while "]
                .iter()
                .any(|k| line.trim_start().starts_with(k));
        return (!guarded && !inside_python_try(text, line_start)).then_some(Error);
    }
    if (read.starts_with("ENV.fetch(") && !after.starts_with('{'))
        || read.starts_with("System.fetch_env!(")
        || (read.starts_with("env::var(")
            && (after.starts_with(".unwrap()")
                || after.starts_with(".expect(")
                || after.starts_with('?')))
    {
        return Some(Error);
    }
    let likely = ["mustMapEnv(", "mustGetenv(", "MustGetenv("]
        .iter()
        .any(|p| read.starts_with(p))
        || (read.starts_with("${") && (lang == Lang::Java || spring_config));
    likely.then_some(Warning)
}

/// Whether the line starting at `line_start` sits in a Python `try:` block (the nearest line
/// above it with less indentation is `try:`): a KeyError there is handled.
fn inside_python_try(text: &str, line_start: usize) -> bool {
    let line = &text[line_start..];
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    text[..line_start]
        .lines()
        .rev()
        .map(|l| (l.len() - l.trim_start_matches([' ', '\t']).len(), l.trim()))
        .filter(|(_, t)| !t.is_empty() && !t.starts_with('#'))
        .find(|(i, _)| *i < indent)
        .is_some_and(|(_, t)| t == "try:")
}

/// Whether the read at `at` sits in a Spring Boot `optional:` config import
/// (`spring.config.import: optional:configserver:${CONFIG_SERVER_URL:…}`).
fn optional_import(text: &str, at: usize) -> bool {
    let before = &text[extract::line_at(text, at).start..at];
    before
        .rfind("optional:")
        .is_some_and(|i| !before[i..].contains(char::is_whitespace))
}

#[allow(clippy::too_many_arguments)]
fn env_read(
    k: &Knowledge<'_>,
    owner: Option<usize>,
    file: &str,
    text: &Arc<String>,
    name: &str,
    fallback: Option<(String, std::ops::Range<usize>)>,
    span: std::ops::Range<usize>,
    lang: Lang,
    out: &mut Vec<Finding>,
) {
    let key = k.keys.get(name);
    // A numeric fallback for a known port key that disagrees: the 50052 case, spelled as a port.
    if let (Some(key), Some((value, fspan))) = (key, &fallback)
        && value.parse::<u16>().is_ok()
        && *value != key.value
    {
        out.push(
            Finding::new(
                "MC201",
                format!(
                    "the default of {name} is {value}, but the spec says {}",
                    key.value
                ),
            )
            .in_text(file, text, fspan.clone(), value.to_string())
            .at(key.span, format!("{name} = {}", key.value))
            .help(format!(
                "remove the default: {name} is always provided by the service-ports ConfigMap"
            )),
        );
    }
    let Some(o) = owner else { return };
    let me = k.service(o);
    if k.provides(o, name) {
        // A default that disagrees with what the manifest provides is drift, not style: when
        // the wiring breaks, the service silently listens or dials elsewhere.
        // Only wiring: `USERS=10` in a Dockerfile beside `USERS=5` in the manifest is a
        // setting's default the manifest overrides, as intended.
        // Kubernetes' service links (`RATINGS_SERVICE_PORT`) are wiring the kubelet provides.
        let link = k.service_link(o, name);
        if key.is_none()
            && (name == "PORT" || is_wiring_name(name) || link.is_some())
            && let (Some((value, fspan)), Some(provided)) = (&fallback, k.provided_value(o, name))
            && value.parse::<u16>().is_ok()
            && !provided.is_empty()
            && *value != provided
        {
            let giver = if k.provided_value_in_spec(o, name) {
                format!("the manifest of `{}` gives", me.name.value)
            } else {
                "Kubernetes' service link gives".to_string()
            };
            out.push(
                Finding::new(
                    "MC201",
                    format!("the default of {name} is {value}, but {giver} {provided}"),
                )
                .in_text(file, text, fspan.clone(), value.to_string())
                .at(me.name.span, "service declared here")
                .help(lang.read_instead(name)),
            );
            return;
        }
        // Only a default of wiring hides broken wiring: `${USERS:-10}` is a setting's default.
        // A service link's variable is always set while links are on: a default that agrees
        // with it hides nothing.
        let wiring = key.is_some() || name == "PORT" || is_wiring_name(name);
        if let Some((value, fspan)) = fallback.filter(|_| wiring) {
            let mut f = Finding::new(
                "MC202",
                format!("hardcoded default for {name}, which the manifest of `{}` provides", me.name.value),
            )
            .in_text(file, text, fspan, "this default hides a missing variable")
            .help(format!(
                "make {name} required — {} — a default like `{value}` silently wins when wiring breaks",
                lang.read_instead(name)
            ));
            if let Some(key) = key {
                f = f.at(key.span, format!("{name} comes from here"));
            }
            out.push(f);
        }
        return;
    }
    // A read that stops the program when the variable is unset (Python's `os.environ["X"]`,
    // Spring's `${X}`, Ruby's `ENV.fetch("X")`, …) is evidence by itself, whatever the name:
    // the manifest must provide it. Other reads of a name that is no wiring may be optional.
    let unset = fallback
        .is_none()
        .then(|| fails_when_unset(text, &span, file, lang))
        .flatten();
    let required = unset.is_some();
    // A credential the spec gives other services from a Secret is the platform's wiring too:
    // a service that reads it and does not get it authenticates with nothing.
    let shared_secret = k.secret_elsewhere(name);
    if !is_wiring_name(name) && !required && !shared_secret {
        return;
    }
    // An error needs evidence that ties the variable to the spec: a service-ports key, a
    // variable the spec maps for some service, a name that spells a spec service, or a read
    // that fails without it. Anything else (a tracing collector, the service's own bind
    // address) is at most information.
    let by_name = names_a_service(k, name);
    let named = key.is_some() || k.mapped_anywhere(name) || by_name.is_some() || shared_secret;
    let tied = required || named;
    // Why the variable is the spec's business, when only its name says so.
    let why = match by_name {
        Some((svc, how)) if key.is_none() && !k.mapped_anywhere(name) => {
            format!(" ({how} the spec service `{}`)", svc.name.value)
        }
        None if shared_secret && key.is_none() && !k.mapped_anywhere(name) => {
            " (the spec knows it as a Secret key)".to_string()
        }
        _ => String::new(),
    };
    let mut f = Finding::new(
        "MC203",
        format!(
            "`{}` reads {name}, which its manifest does not provide{why}",
            me.name.value
        ),
    )
    .in_text(file, text, span.clone(), "not provided")
    .at(me.name.span, "service declared here");
    f = match key {
        Some(key) => {
            let other = &k.service(key.service).name.value;
            f.help(format!(
                "add `depends-on {other}` to `{}`: {name} is then injected",
                me.name.value
            ))
        }
        None => f.help(format!(
            "add `env {name} ref=\"…\"` (a service-ports key) or `env {name} \"…\"` to `{}`",
            me.name.value
        )),
    };
    // A read under `if FLAG…` runs only when the flag is on: while the manifest leaves every
    // flag the condition names unset (or off), the read never happens.
    let flag_on = |flag: &String| {
        k.provided_value(o, flag).is_some_and(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "" | "0" | "false" | "no" | "off"
            )
        })
    };
    let condition = lang
        .blocks()
        .and_then(|b| condition::enclosing(text, b, span.start))
        .filter(|c| !c.flags.iter().any(flag_on));
    if tied && let Some(c) = condition {
        f.severity = crate::diagnostic::Severity::Info;
        f.message = format!(
            "`{}` reads {name} only when `{}`, which its manifest does not turn on",
            me.name.value, c.text
        );
        f.help = Some(match c.flags.first() {
            Some(flag) => format!(
                "information only while `{}` leaves {flag} unset or off; set {flag} in the spec and {name} must be provided too (`env {name} ref=\"…\"`)",
                me.name.value
            ),
            None => format!(
                "information only: the condition reads no variable the spec could set; `maestroc: ignore[MC203] reason` records that {name} is optional"
            ),
        });
    } else if tied && optional_import(text, span.start) {
        // Spring's `optional:configserver:${X:…}`: the application starts without that
        // import, as the code says itself. Nothing breaks when X is missing.
        f.severity = crate::diagnostic::Severity::Info;
        f.message = format!(
            "`{}` reads {name} in an `optional:` import, which its manifest does not provide",
            me.name.value
        );
        f.help = Some(format!(
            "information only: the application starts without this import; to use it, provide {name} (`env {name} ref=\"…\"`)"
        ));
    } else if !tied {
        f.severity = crate::diagnostic::Severity::Info;
        f.help = Some(format!(
            "{name} names nothing in the spec, so this is information only; it becomes an error when a spec service's address or key is meant (map it with `env {name} ref=…`), and `[scan] optional-env` or `maestroc: ignore[MC203] reason` records that it is optional"
        ));
    } else if let Some((kind, cm)) = k.opaque[o].first() {
        // The pod reads a ConfigMap or Secret whole that the spec does not know: {name} may
        // be in it.
        f.severity = crate::diagnostic::Severity::Info;
        f.message = format!(
            "`{}` reads {name}, which the spec does not provide — it may come from {kind} `{cm}`, which the pod reads whole",
            me.name.value
        );
    } else if !named && let Some(most) = unset {
        // Evidence from the read alone: it fails when unset, as surely as the language says.
        f.message = format!(
            "`{}` reads {name}, which its manifest does not provide, and the read fails when it is unset",
            me.name.value
        );
        if f.severity > most {
            f.severity = most;
        }
    }
    out.push(f);
}

/// `CART_SERVICE_ADDR`, `CARTSERVICE_HOST`, `LEDGER_DB_URL` spell a spec service's name once
/// the wiring suffix and underscores are dropped.
/// The spec service a variable's name ties it to, and how: `CART_ADDR` (its name),
/// `CARTSERVICE_URL` (`cart` + `service`), `REDIS_HOST` (a service running the `redis` image),
/// `SHOP_UI_ENDPOINTS_CATALOG` (named after an `_ENDPOINTS_` infix).
fn names_a_service<'a>(k: &Knowledge<'a>, name: &str) -> Option<(&'a Service, &'static str)> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let infix = ["_ENDPOINTS_", "_ENDPOINT_"]
        .iter()
        .find_map(|i| name.split_once(i).map(|(_, after)| after));
    let stem = infix.unwrap_or_else(|| {
        [
            "_ADDRESS",
            "_ADDR",
            "_HOST",
            "_URL",
            "_URI",
            "_ENDPOINTS",
            "_ENDPOINT",
            "_PORT",
        ]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name)
    });
    let stem = squash(stem);
    if stem.is_empty() {
        return None;
    }
    k.platform.services.iter().find_map(|s| {
        let n = squash(&s.name.value);
        // `REDIS_ADDR` for a service running the `redis` image, whatever it is called.
        let image = s.image.as_ref().map(|i| {
            let repo = i.value.split(['@']).next().unwrap_or("");
            let last = repo.rsplit('/').next().unwrap_or(repo);
            squash(last.split(':').next().unwrap_or(last))
        });
        if n == stem || format!("{n}service") == stem || n == format!("{stem}service") {
            Some((s, "its name names"))
        } else if image.is_some_and(|i| i == stem) {
            Some((s, "its name names the image of"))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::comment_start;

    #[test]
    fn a_read_that_fails_when_unset_is_evidence_as_sure_as_its_language() {
        use crate::diagnostic::Severity::{Error, Warning};
        let judge = |text: &str, read: &str, file: &str, lang| {
            let at = text.find(read).unwrap();
            super::fails_when_unset(text, &(at..at + read.len()), file, lang)
        };
        let ruby = "q = ENV.fetch(\"QUEUE\")\n";
        assert_eq!(
            judge(ruby, "ENV.fetch(\"QUEUE\")", "a.rb", super::Lang::Ruby),
            Some(Error)
        );
        let block = "q = ENV.fetch(\"QUEUE\") { \"x\" }\n";
        assert_eq!(
            judge(block, "ENV.fetch(\"QUEUE\")", "a.rb", super::Lang::Ruby),
            None
        );
        let rust = "let q = env::var(\"QUEUE\").expect(\"QUEUE\");\n";
        assert_eq!(
            judge(rust, "env::var(\"QUEUE\")", "m.rs", super::Lang::Rust),
            Some(Error)
        );
        let spring = "spring:\n  mail:\n    password: ${MAIL_PASSWORD}\n";
        assert_eq!(
            judge(
                spring,
                "${MAIL_PASSWORD}",
                "src/main/resources/application.yml",
                super::Lang::Yaml
            ),
            Some(Warning)
        );
        // A shell's `${X}` is empty when unset: no evidence.
        let shell = "exec app --queue ${QUEUE}\n";
        assert_eq!(judge(shell, "${QUEUE}", "run.sh", super::Lang::Shell), None);
        let go = "x := os.Getenv(\"QUEUE\")\n";
        assert_eq!(
            judge(go, "os.Getenv(\"QUEUE\")", "main.go", super::Lang::Go),
            None
        );
    }

    #[test]
    fn trailing_comments_are_found_outside_strings_only() {
        let cases = [
            ("x = 1  # was orchestrator:50052", "#", Some(7)),
            ("# whole line", "#", Some(0)),
            ("    // indented", "//", Some(4)),
            (
                "url := \"http://orchestrator:50055\" // dial",
                "//",
                Some(35),
            ),
            ("url := \"http://orchestrator:50055\"", "//", None),
            ("s = 'a # b' + \"c\"", "#", None),
            ("echo $# ${#x}", "#", None),
            (
                "fn f(x: &'static str) {} // a lifetime opens a quote",
                "//",
                None,
            ),
            (
                "s = \"esc \\\" # still a string\"  # comment",
                "#",
                Some(31),
            ),
            ("é = 1 # ünïcode", "#", Some(7)),
        ];
        for (line, marker, want) in cases {
            assert_eq!(comment_start(line, marker, true), want, "{line}");
        }
        assert_eq!(comment_start("EXPOSE 8080 # no", "#", false), None);
    }
}
