//! Every name in the spec that means something elsewhere: where each service, port,
//! `service-ports` key, secret and secret key is declared, and every place that refers to one.
//! Definition, references, hover and rename-free navigation all read this one index, built
//! from the model the reader produced (spans included), so it agrees with `check` on what a
//! name resolves to.

use std::collections::HashMap;
use std::ops::Range;

use miette::SourceSpan;

use crate::model::{
    EnvFromSource, EnvValue, EnvVar, Health, Platform, Service, Spanned, VolumeSource,
    placeholders, service_keys,
};

/// What a name in the spec stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Symbol {
    Service(String),
    /// A port of a service: (service, port name).
    Port(String, String),
    /// A key of the `service-ports` ConfigMap.
    Key(String),
    Secret(String),
    /// A key of a secret: (secret, key).
    SecretKey(String, String),
}

/// One appearance of a symbol in the text.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub span: Range<usize>,
    pub definition: bool,
}

/// The symbols of one version of the spec.
#[derive(Debug, Default)]
pub struct Index {
    /// In text order.
    pub occurrences: Vec<Occurrence>,
    /// Each `service-ports` key: its owner and the span of the port it comes from.
    pub keys: HashMap<String, (String, Range<usize>)>,
}

fn range(span: SourceSpan) -> Range<usize> {
    span.offset()..span.offset() + span.len()
}

impl Index {
    pub fn build(p: &Platform, text: &str) -> Self {
        let mut ix = Index::default();
        for svc in &p.services {
            for k in service_keys(p, svc) {
                ix.keys
                    .entry(k.key)
                    .or_insert((svc.name.value.clone(), range(k.span)));
            }
        }
        for s in &p.secrets {
            ix.add(Symbol::Secret(s.name.value.clone()), s.name.span, true);
            for k in &s.keys {
                ix.add(
                    Symbol::SecretKey(s.name.value.clone(), k.value.clone()),
                    k.span,
                    true,
                );
            }
        }
        if let Some(prom) = &p.prometheus
            && let Some(s) = &prom.service
        {
            ix.add(Symbol::Service(s.value.clone()), s.span, false);
        }
        for svc in &p.services {
            ix.service(svc, text);
        }
        for env in &p.environments {
            for o in &env.services {
                let name = &o.name.value;
                ix.add(Symbol::Service(name.clone()), o.name.span, false);
                for (port, _) in &o.node_ports {
                    ix.add(
                        Symbol::Port(name.clone(), port.value.clone()),
                        port.span,
                        false,
                    );
                }
                ix.env(&o.env, text);
            }
        }
        ix.occurrences.sort_by_key(|o| (o.span.start, o.span.end));
        ix
    }

    fn add(&mut self, symbol: Symbol, span: SourceSpan, definition: bool) {
        self.occurrences.push(Occurrence {
            symbol,
            span: range(span),
            definition,
        });
    }

    fn service(&mut self, svc: &Service, text: &str) {
        let name = &svc.name.value;
        self.add(Symbol::Service(name.clone()), svc.name.span, true);
        for port in &svc.ports {
            self.add(
                Symbol::Port(name.clone(), port.name.value.clone()),
                port.name.span,
                true,
            );
        }
        for d in &svc.depends_on {
            self.add(Symbol::Service(d.value.clone()), d.span, false);
        }
        let port_ref = |ix: &mut Index, p: &Spanned<String>| {
            ix.add(Symbol::Port(name.clone(), p.value.clone()), p.span, false);
        };
        if let Some(port) = svc.health.as_ref().and_then(Health::port) {
            port_ref(self, port);
        }
        for r in &svc.ops.ingress {
            port_ref(self, &r.port);
        }
        if let Some(m) = &svc.ops.metrics {
            port_ref(self, &m.port);
        }
        for e in &svc.expose {
            for p in &e.ports {
                port_ref(self, p);
            }
        }
        self.env(&svc.env, text);
        for c in svc.init_containers.iter().chain(&svc.sidecars) {
            self.env(&c.env, text);
            for w in c.command.iter().chain(&c.args) {
                self.placeholders(w, text);
            }
        }
        for w in svc.command.iter().chain(&svc.args) {
            self.placeholders(w, text);
        }
        for f in &svc.env_from {
            if let EnvFromSource::Secret(s) = &f.source {
                self.add(Symbol::Secret(s.value.clone()), s.span, false);
            }
        }
        for v in &svc.volumes {
            if let VolumeSource::Secret { secret } = &v.source {
                self.add(Symbol::Secret(secret.value.clone()), secret.span, false);
            }
        }
    }

    fn env(&mut self, vars: &[EnvVar], text: &str) {
        for var in vars {
            match &var.value {
                EnvValue::Ref(key) => self.add(Symbol::Key(key.value.clone()), key.span, false),
                EnvValue::Secret { secret, key, .. } => {
                    self.add(Symbol::Secret(secret.value.clone()), secret.span, false);
                    self.add(
                        Symbol::SecretKey(secret.value.clone(), key.value.clone()),
                        key.span,
                        false,
                    );
                }
                EnvValue::Literal(v) => self.placeholders(v, text),
                EnvValue::Field(_) => {}
            }
        }
    }

    /// `{KEY}` inside a string: found in the source text of the value, so escapes before it
    /// cannot shift the span.
    fn placeholders(&mut self, value: &Spanned<String>, text: &str) {
        let r = range(value.span);
        let Some(source) = text.get(r.clone()) else {
            return;
        };
        let mut from = 0;
        for (_, key) in placeholders(&value.value) {
            let needle = format!("{{{key}}}");
            if let Some(at) = source[from..].find(&needle) {
                let start = r.start + from + at + 1;
                self.occurrences.push(Occurrence {
                    symbol: Symbol::Key(key.to_string()),
                    span: start..start + key.len(),
                    definition: false,
                });
                from += at + needle.len();
            }
        }
    }

    /// The innermost occurrence under byte `offset` (a cursor just after a name is on it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.len())
    }

    /// Where `symbol` is declared: the node for names, the port for keys.
    pub fn definition(&self, symbol: &Symbol) -> Option<Range<usize>> {
        if let Symbol::Key(k) = symbol {
            return self.keys.get(k).map(|(_, r)| r.clone());
        }
        self.occurrences
            .iter()
            .find(|o| o.definition && &o.symbol == symbol)
            .map(|o| o.span.clone())
    }

    pub fn references<'a>(&'a self, symbol: &'a Symbol) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"platform "p" {
    namespace "n"
}
secret "db" {
    key PASSWORD
}
service "db" {
    image "postgres:16"
    port pg 5432
    env PASSWORD secret="db"
}
service "api" {
    image "api:1"
    port http 8080
    depends-on db
    env DB_URL "postgres://{DB_ADDRESS}/app"
    env DB_PORT ref="DB_PORT"
    health http="/healthz" port=http
}
"#;

    fn index() -> Index {
        let p = crate::spec::parse(SPEC).platform.expect("parses");
        Index::build(&p, SPEC)
    }

    fn offset_of(needle: &str, nth: usize) -> usize {
        SPEC.match_indices(needle).nth(nth).expect("in the spec").0
    }

    #[test]
    fn a_dependency_resolves_to_its_service() {
        let ix = index();
        let o = ix.at(offset_of("depends-on db", 0) + 11).expect("on db");
        assert_eq!(o.symbol, Symbol::Service("db".into()));
        let def = ix.definition(&o.symbol).expect("declared");
        assert_eq!(&SPEC[def], "\"db\"");
        assert_eq!(
            ix.references(&o.symbol).count(),
            2,
            "declaration and depends-on"
        );
    }

    #[test]
    fn placeholders_and_refs_resolve_to_the_port_of_their_key() {
        let ix = index();
        let o = ix
            .at(offset_of("DB_ADDRESS", 0) + 2)
            .expect("on the placeholder");
        assert_eq!(o.symbol, Symbol::Key("DB_ADDRESS".into()));
        assert_eq!(&SPEC[o.span.clone()], "DB_ADDRESS");
        let def = ix.definition(&o.symbol).expect("the port");
        assert!(SPEC[def].starts_with("port pg 5432"));
        let r = ix
            .at(offset_of("ref=\"DB_PORT\"", 0) + 6)
            .expect("on the ref");
        assert_eq!(r.symbol, Symbol::Key("DB_PORT".into()));
        assert_eq!(&SPEC[ix.definition(&r.symbol).expect("port")], "5432");
    }

    #[test]
    fn secret_keys_and_ports_have_their_declarations() {
        let ix = index();
        let o = ix
            .at(offset_of("secret=\"db\"", 0) + 9)
            .expect("on the secret");
        assert_eq!(o.symbol, Symbol::Secret("db".into()));
        let k = ix.at(offset_of("env PASSWORD", 0) + 5).expect("on the key");
        assert_eq!(k.symbol, Symbol::SecretKey("db".into(), "PASSWORD".into()));
        assert_eq!(
            ix.definition(&k.symbol).map(|r| r.start),
            Some(offset_of("PASSWORD", 0))
        );
        let p = ix.at(offset_of("port=http", 0) + 6).expect("on the port");
        assert_eq!(p.symbol, Symbol::Port("api".into(), "http".into()));
    }
}
