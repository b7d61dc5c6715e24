//! Port facts in text: addresses naming known services, port assignments, binds, environment
//! reads with their fallbacks. Each fact carries the byte span it was read from. The patterns
//! are deliberately narrow: a number is a port fact only with context that ties it to a
//! service (a service's host, a `service-ports` key, or the service's own source directory).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `[scheme://]host[.ns[.svc[.domain]]][:port]` where host is a known service's name (or
    /// an external host). `suffix` is what followed the name (`.ns.svc.cluster.local`).
    Address {
        host: String,
        suffix: String,
        scheme: Option<String>,
        port: Option<u16>,
        span: Range<usize>,
    },
    /// `NAME = 8080`, `NAME: 8080`, `port=8080`: `name` as written.
    PortAssign {
        name: String,
        port: u16,
        span: Range<usize>,
    },
    /// `listen(8080)`, `":8080"` in a bind call, `EXPOSE 8080`, `--port 8080`.
    Bind { port: u16, span: Range<usize> },
    /// A read of an environment variable; `fallback` is the literal default, if any.
    EnvRead {
        name: String,
        fallback: Option<(String, Range<usize>)>,
        span: Range<usize>,
    },
    /// A Spring placeholder of a dotted property (`${catalog.service.port:8080}`), which the
    /// environment variable `env` sets by relaxed binding (`CATALOG_SERVICE_PORT`) — or any
    /// other property source: evidence only where the environment is known to set it.
    PropertyRead {
        property: String,
        env: String,
        fallback: Option<(String, Range<usize>)>,
        span: Range<usize>,
    },
}

fn re(p: &str) -> Regex {
    // The patterns are constants of this file; a typo is caught by the unit tests.
    Regex::new(p).unwrap_or_else(|e| panic!("bad built-in pattern {p}: {e}"))
}

const NAME: &str = r"([A-Za-z_][A-Za-z0-9_]*)";
const LIT: &str = r#"("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`|-?[0-9]+)"#;

static ENV_READS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    vec![
        // Python
        re(&format!(
            r#"os\.getenv\(\s*["']{NAME}["']\s*(?:,\s*{LIT}\s*)?\)"#
        )),
        re(&format!(
            r#"os\.environ\.get\(\s*["']{NAME}["']\s*(?:,\s*{LIT}\s*)?\)"#
        )),
        re(&format!(r#"os\.environ\[\s*["']{NAME}["']\s*\]()"#)),
        // Go: os.Getenv("X") / os.LookupEnv("X"), and the literal a function returns when the
        // variable is unset: `if v, ok := os.LookupEnv("X"); ok { return v }; return "d"`.
        re(&format!(
            r#"os\.(?:Getenv|LookupEnv)\(\s*"{NAME}"\s*\)(?:[^\n{{]*\{{\s*return\s+[A-Za-z_][A-Za-z0-9_]*\s*\}}\s*return\s+{LIT})?"#
        )),
        // Rust: env::var("X") and an optional .unwrap_or("lit") / .unwrap_or_else(|_| "lit"…
        re(&format!(
            r#"env::var(?:_os)?\(\s*"{NAME}"\s*\)(?:\s*\.unwrap_or(?:_else)?\(\s*(?:\|[^|]*\|\s*)?{LIT})?"#
        )),
        // JavaScript / TypeScript
        re(&format!(
            r#"process\.env\.{NAME}(?:\s*(?:\?\?|\|\|)\s*{LIT})?"#
        )),
        re(&format!(
            r#"process\.env\[\s*["']{NAME}["']\s*\](?:\s*(?:\?\?|\|\|)\s*{LIT})?"#
        )),
        // Java: System.getenv("X"), System.getenv().getOrDefault("X", "d")
        // … with the default Java spells around it: `Optional.ofNullable(System.getenv("X"))
        // .orElse("d")`, `System.getenv("X") == null ? "d" : System.getenv("X")`.
        re(&format!(
            r#"System\.getenv\(\s*"{NAME}"\s*\)(?:\s*\)\s*\.orElse\(\s*{LIT}|\s*==\s*null\s*\?\s*{LIT})?"#
        )),
        re(&format!(
            r#"System\.getenv\(\s*\)\.getOrDefault\(\s*"{NAME}"\s*,\s*{LIT}\s*\)"#
        )),
        // Spring placeholders: "${X}", "${X:default}" (@Value, application.properties/yaml)
        re(&format!(r#"\$\{{{NAME}(?::([^-}}\n][^}}\n]*))?\}}"#)),
        // Spring's Environment: env.getProperty("X"), environment.getProperty("X", "d")
        re(&format!(
            r#"\b(?:env|environment|getEnvironment\(\))\.getProperty\(\s*"{NAME}"\s*(?:,\s*{LIT}\s*)?\)"#
        )),
        // C#: Environment.GetEnvironmentVariable("X"), Configuration["X"] (ASP.NET reads env)
        re(&format!(
            r#"Environment\.GetEnvironmentVariable\(\s*"{NAME}"\s*\)()"#
        )),
        re(&format!(r#"Configuration\[\s*"{NAME}"\s*\]()"#)),
        // ASP.NET's IConfiguration, which reads the environment: config.GetValue("PORT", 80),
        // configuration.GetValue<int>("GRPC_PORT")
        re(&format!(
            r#"\.GetValue(?:<[A-Za-z?]+>)?\(\s*"{NAME}"\s*(?:,\s*{LIT}\s*)?\)"#
        )),
        // Go helpers that wrap os.Getenv: mustMapEnv(&x, "X"), getEnv("X", "d"), envOr…
        re(&format!(
            r#"\b(?:mustMapEnv|mustGetenv|MustGetenv|getEnv|GetEnv|envOr|EnvOr|getEnvOrDefault)\(\s*(?:&[A-Za-z_.]+\s*,\s*)?"{NAME}"\s*(?:,\s*{LIT}\s*)?\)"#
        )),
        // Shell: ${X:-default} / ${X-default}
        re(&format!(r#"\$\{{{NAME}:?-([^}}\n]*)\}}"#)),
        // Ruby: ENV.fetch("X", "d"), ENV.fetch("X") { "d" }, ENV["X"] || "d"
        re(&format!(
            r#"ENV\.fetch\(\s*["']{NAME}["']\s*(?:,\s*{LIT}\s*)?\)(?:\s*\{{\s*{LIT})?"#
        )),
        re(&format!(
            r#"\bENV\[\s*["']{NAME}["']\s*\](?:\s*\|\|\s*{LIT})?"#
        )),
        // Elixir: System.get_env("X") || "d", System.get_env("X", "d"), System.fetch_env!("X")
        re(&format!(
            r#"System\.(?:get_env|fetch_env!?)\(\s*"{NAME}"\s*(?:,\s*{LIT}\s*)?\)(?:\s*\|\|\s*{LIT})?"#
        )),
        // PHP: getenv('X') ?: 'd', $_ENV['X'] ?? 'd'
        re(&format!(
            r#"getenv\(\s*["']{NAME}["']\s*\)(?:\s*(?:\?:|\?\?)\s*{LIT})?"#
        )),
        re(&format!(
            r#"\$_(?:ENV|SERVER)\[\s*["']{NAME}["']\s*\](?:\s*(?:\?:|\?\?)\s*{LIT})?"#
        )),
        // Go struct tags: `env:"PORT" envDefault:"8081"`, `env:"PORT,default=8081"` (caarlos0/env),
        // `envconfig:"PORT" default:"8081"` (kelseyhightower/envconfig).
        re(&format!(
            r#"(?:env|envconfig):"{NAME}(?:,default=([^",]*))?[^"]*"(?:\s+(?:envDefault|default):"([^"]*)")?"#
        )),
    ]
});

static PORT_ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    // FOO_PORT = 8080, PORT: "8080", port=5000, "port": 5000, listenPort := "5050",
    // grpc_port = 50051, server.port=8081 (Spring); --port=5000 is a BIND; `${PORT:8081}` is an
    // env read with a default, not an assignment (hence no `{` before the name). A name must end in
    // `_PORT`, `_port` or `Port`, or be `port`/`PORT` itself: `transport`, `support` are not.
    re(
        r#"(?m)(?:^|[^A-Za-z0-9_.{-])["']?([A-Za-z][A-Za-z0-9_]*(?:_PORT|_port|Port)|PORT|port|server\.port)["']?\s*(?::=|=|:)\s*["']?([0-9]{1,5})\b"#,
    )
});

static BIND: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    vec![
        re(r"\.listen\(\s*([0-9]{2,5})\b"),
        re(
            r#"(?:Listen|ListenAndServe|ListenAndServeTLS|add_insecure_port|add_secure_port|bind)\(\s*(?:"tcp"\s*,\s*)?["'][^"'\n]*:([0-9]{2,5})["']"#,
        ),
        // `^[ \t]*`, not `^\s*`: `\s` would start the match at the previous line's newline.
        re(r"(?m)^[ \t]*EXPOSE\s+([0-9]{1,5})\b"),
        re(r"--port[= ]([0-9]{1,5})\b"),
        // The exec form of a Dockerfile's ENTRYPOINT/CMD, a compose `command:` list, a
        // manifest's args: `"--port", "8081"`.
        re(r#"--port["']\s*,\s*["']([0-9]{2,5})["']"#),
        // gunicorn/uvicorn: -b :8081, --bind 0.0.0.0:8081, --bind=[::]:8081
        re(
            r#"(?:-b|--bind)(?:=|\s+|["']\s*,\s*)["']?(?:[0-9.]*|\[[0-9a-f:]*\]|[a-z0-9.-]*):([0-9]{2,5})\b"#,
        ),
        // Java: System.setProperty("server.port", "8081"); jib: <port>8081</port>
        re(r#"System\.setProperty\(\s*"server\.port"\s*,\s*"([0-9]{2,5})""#),
        re(r"<port>\s*([0-9]{2,5})\s*</port>"),
        // ASP.NET Core: ASPNETCORE_HTTP_PORTS=7070 (also HTTP_PORTS, HTTPS), ASPNETCORE_URLS /
        // UseUrls("http://+:7070"), Kestrel's ListenAnyIP(7070) / ListenLocalhost(7070)
        re(r#"\b(?:ASPNETCORE_)?HTTPS?_PORTS["']?\s*[=:]\s*["']?([0-9]{2,5})\b"#),
        re(
            r#"(?:ASPNETCORE_URLS["']?\s*[=:]\s*["']?|UseUrls\(\s*")https?://[^:;\s"']+:([0-9]{2,5})\b"#,
        ),
        re(r"\bListen(?:AnyIP|Localhost)\(\s*([0-9]{2,5})\b"),
        // Dockerfile: ENV PORT 8081 (ENV PORT=8081 is an assignment)
        re(r"(?m)^[ \t]*ENV\s+PORT\s+([0-9]{2,5})\b"),
        // A `port` flag's default: Go's flag/pflag (`fs.Int("port", 9898, …)`,
        // `flag.IntVar(&p, "port", 8080, …)`, `IntP("port", "p", 8080, …)`), Python's argparse
        // and click (`add_argument("--port", type=int, default=8080)`).
        re(
            r#"\.(?:Int|Uint|String)(?:Var)?P?\(\s*(?:&[A-Za-z_][A-Za-z0-9_.]*\s*,\s*)?"port"\s*,\s*(?:"[A-Za-z]?"\s*,\s*)?"?:?([0-9]{2,5})\b"#,
        ),
        re(
            r#"(?:add_argument|option)\(\s*["']--port["'][^)\n]*\bdefault\s*=\s*["']?([0-9]{2,5})\b"#,
        ),
        // nginx: `listen 8080;`, `listen [::]:8080;`, `listen 0.0.0.0:8080 default_server;`
        // (a TLS listener, `listen 443 ssl;`, is another protocol beside the service's port:
        // dropped in `binds`)
        re(
            r"(?m)^[ \t]*listen\s+(?:[0-9.]+:|\[[0-9a-fA-F:]*\]:|[a-z0-9.-]+:)?([0-9]{2,5})\b[^;\n{}]*;",
        ),
    ]
});

/// The address pattern for a platform: its service names and external hosts.
pub fn address_regex(hosts: &[String]) -> Option<Regex> {
    if hosts.is_empty() {
        return None;
    }
    let mut sorted: Vec<&String> = hosts.iter().collect();
    // Longest first, so `ray-executor` wins over `ray`.
    sorted.sort_by_key(|h| std::cmp::Reverse(h.len()));
    let alt = sorted
        .iter()
        .map(|h| regex::escape(h))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(
        r"(?:([a-z][a-z0-9+.-]*)://)?\b({alt})((?:\.[a-z0-9-]+)*)(?::([0-9]{{1,5}}))?"
    ))
    .ok()
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    let quoted = t.len() >= 2
        && matches!(t.as_bytes()[0], b'"' | b'\'' | b'`')
        && t.as_bytes()[0] == t.as_bytes()[t.len() - 1];
    if quoted {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

fn port_of(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|p| *p > 0)
}

pub fn env_reads(text: &str, out: &mut Vec<Fact>) {
    let mut found = Vec::new();
    env_reads_all(text, &mut found);
    // Patterns of two languages can match one read (PHP's `getenv(` inside Java's
    // `System.getenv(`): a read inside another read of the same name is that read.
    let inside = |a: &Fact, b: &Fact| match (a, b) {
        (
            Fact::EnvRead {
                name: na, span: sa, ..
            },
            Fact::EnvRead {
                name: nb, span: sb, ..
            },
        ) => na == nb && sb.start <= sa.start && sa.end <= sb.end && sa != sb,
        _ => false,
    };
    let keep: Vec<bool> = found
        .iter()
        .map(|a| !found.iter().any(|b| inside(a, b)))
        .collect();
    let mut seen = Vec::new();
    for (f, k) in found.into_iter().zip(keep) {
        if let Fact::EnvRead { span, .. } = &f {
            if !k || seen.contains(span) {
                continue;
            }
            seen.push(span.clone());
        }
        out.push(f);
    }
}

/// JavaScript's destructuring of the environment:
/// `const { CART_ADDR, PORT = "8080", API_URL: api = "" } = process.env`.
static DESTRUCTURED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:const|let|var)\s*\{([^{}]*)\}\s*=\s*process\.env\b"));
static MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"^\s*{NAME}\s*(?::\s*[A-Za-z_$][A-Za-z0-9_$]*\s*)?(?:=\s*{LIT})?\s*$"#
    ))
});

/// Each member of a destructuring of `process.env`, a read with its default.
fn destructured_reads(text: &str, out: &mut Vec<Fact>) {
    for c in DESTRUCTURED.captures_iter(text) {
        let Some(members) = c.get(1) else { continue };
        let mut at = members.start();
        for member in members.as_str().split(',') {
            if let Some(m) = MEMBER.captures(member)
                && let Some(name) = m.get(1)
            {
                out.push(Fact::EnvRead {
                    name: name.as_str().to_string(),
                    fallback: m
                        .get(2)
                        .map(|d| (unquote(d.as_str()), at + d.start()..at + d.end())),
                    span: at + name.start()..at + name.end(),
                });
            }
            at += member.len() + 1;
        }
    }
}

/// A function whose body reads the environment under its parameter's name is a wrapper, in
/// any language: `def env(name, default=None): return os.environ.get(name, default)`,
/// `func getenv(key, fallback string) string { if v, ok := os.LookupEnv(key); ok { … } }`.
/// First the reads whose argument is a name, not a literal (few files have any); then, just
/// before each, the definition of a function with that parameter.
static PARAM_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:os\.environ\.get\(|os\.getenv\(|os\.environ\[|os\.Getenv\(|os\.LookupEnv\(|process\.env\[|System\.getenv\(|GetEnvironmentVariable\(|ENV\.fetch\(|ENV\[|getenv\(|\$_ENV\[)\s*\$?([A-Za-z_][A-Za-z0-9_]*)\s*[),\]]"#,
    )
});

/// Function definitions, (name, first parameter), in the languages the scanner reads.
static DEFINITIONS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    vec![
        // Python, Ruby
        re(r"(?m)^[ \t]*def\s+([A-Za-z_][A-Za-z0-9_?]*)\s*\(?\s*([A-Za-z_][A-Za-z0-9_]*)"),
        // Go, JavaScript/TypeScript, PHP
        re(
            r"\b(?:func|function)\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*\(\s*(?:string\s+)?\$?([A-Za-z_$][A-Za-z0-9_$]*)",
        ),
        re(
            r"\b(?:const|let|var)\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*=\s*\(\s*([A-Za-z_$][A-Za-z0-9_$]*)",
        ),
        // Java, C#
        re(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*(?:final\s+)?[Ss]tring\s+([A-Za-z_][A-Za-z0-9_]*)"),
    ]
});

/// How far before a read its function's definition is looked for: a wrapper is short.
const WRAPPER_BODY: usize = 600;

/// Calls with a literal name of every wrapper this text defines: reads of that variable,
/// with the call's second literal argument as the default.
fn wrapper_reads(text: &str, out: &mut Vec<Fact>) {
    let mut names: Vec<String> = Vec::new();
    for read in PARAM_READ.captures_iter(text) {
        let (Some(at), Some(param)) = (read.get(0), read.get(1)) else {
            continue;
        };
        let from = (at.start().saturating_sub(WRAPPER_BODY)..=at.start())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(at.start());
        let window = &text[from..at.start()];
        // The nearest definition before the read, when its parameter is the name read.
        let nearest = DEFINITIONS
            .iter()
            .flat_map(|d| d.captures_iter(window))
            .filter_map(|c| Some((c.get(0)?.start(), c.get(1)?, c.get(2)?)))
            .max_by_key(|(start, ..)| *start);
        if let Some((_, f, p)) = nearest
            && p.as_str() == param.as_str()
            && !names.iter().any(|n| n == f.as_str())
        {
            names.push(f.as_str().to_string());
        }
    }
    for f in names {
        let Ok(call) = Regex::new(&format!(
            r#"(?:^|[^A-Za-z0-9_$.]){}\(\s*["']{NAME}["']\s*(?:,\s*{LIT}\s*)?[,)]"#,
            regex::escape(&f)
        )) else {
            continue;
        };
        for c in call.captures_iter(text) {
            let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
                continue;
            };
            // The call, from the function's name (the match may start one byte before it).
            let start = all.start() + all.as_str().find(f.as_str()).unwrap_or(0);
            out.push(Fact::EnvRead {
                name: name.as_str().to_string(),
                fallback: c.get(2).map(|d| (unquote(d.as_str()), d.range())),
                span: start..all.end(),
            });
        }
    }
}

fn env_reads_all(text: &str, out: &mut Vec<Fact>) {
    if text.contains("process.env") {
        destructured_reads(text, out);
    }
    wrapper_reads(text, out);
    for r in ENV_READS.iter() {
        for c in r.captures_iter(text) {
            let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
                continue;
            };
            // The first default the pattern found (`ENV.fetch("X", "d")` or its block form).
            let fallback = (2..c.len())
                .filter_map(|i| c.get(i))
                .find(|m| !m.as_str().is_empty())
                .map(|m| (unquote(m.as_str()), m.range()));
            // A fallback found lines below (Go's `return "d"`) is not part of the read's span.
            let span = if text[all.range()].contains('\n') {
                let end = text[name.end()..]
                    .find(')')
                    .map_or(all.end(), |i| name.end() + i + 1);
                all.start()..end
            } else {
                all.range()
            };
            out.push(Fact::EnvRead {
                name: name.as_str().to_string(),
                fallback,
                span,
            });
        }
    }
}

/// `${catalog.service.port:8080}` (a dotted property, at least one dot): Spring code and
/// configuration only — elsewhere `${a.b}` is a JavaScript template or a shell error.
static PROPERTY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\$\{([a-z][a-zA-Z0-9-]*(?:\.[a-zA-Z0-9-]+)+)(?::([^}\n]*))?\}"));

/// Spring placeholders of dotted properties, with the variable relaxed binding reads for each
/// (`.` → `_`, `-` dropped, upper case: `catalog.service-port` ← `CATALOG_SERVICEPORT`).
pub fn property_reads(text: &str, out: &mut Vec<Fact>) {
    for c in PROPERTY.captures_iter(text) {
        let (Some(all), Some(property)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let env = property
            .as_str()
            .replace('-', "")
            .replace('.', "_")
            .to_ascii_uppercase();
        out.push(Fact::PropertyRead {
            property: property.as_str().to_string(),
            env,
            fallback: c.get(2).map(|d| (unquote(d.as_str()), d.range())),
            span: all.range(),
        });
    }
}

/// ASP.NET's configuration read by a section path: `Configuration["Ledger:Port"]`,
/// `config.GetValue<int>("Ledger:Port", 7000)` — which the environment sets as
/// `Ledger__Port` (`:` spelt `__`, any case).
static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?:Configuration\[\s*"([A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_]+)+)"\s*\]|\.GetValue(?:<[A-Za-z?]+>)?\(\s*"([A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_]+)+)"\s*(?:,\s*{LIT}\s*)?\))"#
    ))
});

/// .NET configuration sections, each with the variable that sets it (`Ledger__Port`).
pub fn section_reads(text: &str, out: &mut Vec<Fact>) {
    for c in SECTION.captures_iter(text) {
        let (Some(all), Some(path)) = (c.get(0), c.get(1).or(c.get(2))) else {
            continue;
        };
        out.push(Fact::PropertyRead {
            property: path.as_str().to_string(),
            env: path.as_str().replace(':', "__"),
            fallback: c.get(3).map(|d| (unquote(d.as_str()), d.range())),
            span: all.range(),
        });
    }
}

pub fn port_assignments(text: &str, yaml: bool, out: &mut Vec<Fact>) {
    for c in PORT_ASSIGN.captures_iter(text) {
        let (Some(name), Some(num)) = (c.get(1), c.get(2)) else {
            continue;
        };
        // A bare `port` is whatever the structure it sits in says: `server: {port: 8080}` is a
        // listen port, `mail: {port: 465}` or `url: [host: h, port: 443]` a peer's or the
        // public URL's — no evidence about the service's own port.
        if matches!(name.as_str(), "port" | "PORT")
            && parent_of(text, name.start(), yaml).is_some_and(|p| !names_a_listener(&p))
        {
            continue;
        }
        if let Some(port) = port_of(num.as_str()) {
            out.push(Fact::PortAssign {
                name: name.as_str().to_string(),
                port,
                span: name.start()..num.end(),
            });
        }
    }
}

/// The byte range of the line holding offset `at` (without its newline).
pub(super) fn line_at(text: &str, at: usize) -> std::ops::Range<usize> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    start..end
}

/// The key or call a value at `at` belongs to: the word before the innermost unclosed `(`,
/// `[` or `{` on its line (`url: [host: h, port: …` → `url`, `app.run(port=…` → `run`),
/// else, in YAML, the key of the nearest less-indented line above. None at the top level.
fn parent_of(text: &str, at: usize, yaml: bool) -> Option<String> {
    let line_start = line_at(text, at).start;
    let before = &text[line_start..at];
    let mut depth = 0i32;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth > 0 => depth -= 1,
            '(' | '[' | '{' => {
                let word: String = before[..i]
                    .trim_end_matches([' ', ':', '='])
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                return Some(word.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    if !yaml {
        return None;
    }
    let indent = before.len() - before.trim_start_matches([' ', '-']).len();
    for line in text[..line_start].lines().rev() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let i = line.len() - line.trim_start_matches([' ', '-']).len();
        if i < indent {
            let key = body
                .trim_start_matches(['-', ' '])
                .split(':')
                .next()
                .unwrap_or("");
            return Some(key.trim().trim_matches(['"', '\'']).to_ascii_lowercase());
        }
        if i == 0 {
            break;
        }
    }
    None
}

/// Words of the structures a server's own listen port is configured in.
fn names_a_listener(parent: &str) -> bool {
    const WORDS: &[&str] = &[
        "server",
        "serve",
        "listen",
        "http",
        "grpc",
        "run",
        "start",
        "app",
        "web",
        "metrics",
        "management",
        "health",
        "admin",
        "bind",
        "api",
        "service",
        "expose",
        "main",
    ];
    parent.is_empty() || WORDS.iter().any(|w| parent.contains(w))
}

pub fn binds(text: &str, out: &mut Vec<Fact>) {
    for r in BIND.iter() {
        for c in r.captures_iter(text) {
            let (Some(all), Some(num)) = (c.get(0), c.get(1)) else {
                continue;
            };
            let matched = all.as_str();
            if matched.trim_start().starts_with("listen")
                && matched
                    .split_whitespace()
                    .any(|w| matches!(w.trim_end_matches(';'), "ssl" | "quic" | "proxy_protocol"))
            {
                continue;
            }
            if let Some(port) = port_of(num.as_str()) {
                // Indentation is not part of the fact.
                let lead = all.as_str().len() - all.as_str().trim_start().len();
                out.push(Fact::Bind {
                    port,
                    span: all.start() + lead..all.end(),
                });
            }
        }
    }
}

/// Addresses of known hosts. A bare `name:port` (no scheme, no namespace) counts only when it
/// cannot be an image reference (`redis:7`, `nats:2.10`): the port has three digits or more,
/// is not followed by `.` or `-`, and the line does not look like an image or FROM line.
/// A manifest's env value that is nothing but the address (`value: frontend:80`): an image
/// reference rarely stands there, so a two-digit port is an address's too (a one-digit one
/// keeps the shape of an image tag, `redis:7`).
fn is_whole_env_value(line: &str, address: &str) -> bool {
    line.trim_start()
        .trim_start_matches("- ")
        .strip_prefix("value:")
        .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == address)
}

pub fn addresses(text: &str, re: &Regex, out: &mut Vec<Fact>) {
    for c in re.captures_iter(text) {
        let (Some(all), Some(host)) = (c.get(0), c.get(2)) else {
            continue;
        };
        let start = all.start();
        // Part of a longer word or path: `my-redis:6379`, `library/redis:7`, `x.redis`.
        if let Some(prev) = text[..start].chars().next_back()
            && (prev.is_ascii_alphanumeric() || matches!(prev, '-' | '_' | '/' | '.' | '@'))
        {
            continue;
        }
        let after = &text[all.end()..];
        if after.starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_') {
            continue;
        }
        let scheme = c.get(1).map(|m| m.as_str().to_string());
        let suffix = c.get(3).map_or("", |m| m.as_str()).to_string();
        let port_text = c.get(4).map(|m| m.as_str());
        let port = port_text.and_then(port_of);
        if scheme.is_none() && suffix.is_empty() {
            let Some(p) = port_text else { continue };
            let line = &text[line_at(text, start)];
            let lower = line.to_ascii_lowercase();
            if (p.len() < 3 && !(p.len() == 2 && is_whole_env_value(line, all.as_str())))
                || after.starts_with(['.', '-'])
                || lower.contains("image")
                || lower.trim_start().starts_with("from ")
            {
                continue;
            }
        }
        if port_text.is_some() && port.is_none() {
            continue;
        }
        out.push(Fact::Address {
            host: host.as_str().to_string(),
            suffix,
            scheme,
            port,
            span: all.range(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, f: fn(&str, &mut Vec<Fact>)) -> Vec<Fact> {
        let mut v = Vec::new();
        f(text, &mut v);
        v
    }

    #[test]
    fn env_reads_of_ruby_elixir_php_and_go_struct_tags() {
        let cases = [
            (r#"port = ENV.fetch("PORT", "6060")"#, "PORT", Some("6060")),
            (
                r#"ENV.fetch("QUOTE_ADDR") { "quote:8090" }"#,
                "QUOTE_ADDR",
                Some("quote:8090"),
            ),
            (
                r#"host = ENV["CART_ADDR"] || "cart:7070""#,
                "CART_ADDR",
                Some("cart:7070"),
            ),
            (
                r#"port = String.to_integer(System.get_env("FLAGD_UI_PORT") || "4000")"#,
                "FLAGD_UI_PORT",
                Some("4000"),
            ),
            (r#"System.get_env("PORT", "4000")"#, "PORT", Some("4000")),
            (r#"System.fetch_env!("DATABASE_URL")"#, "DATABASE_URL", None),
            (
                r#"$port = getenv('QUOTE_PORT') ?: '8090';"#,
                "QUOTE_PORT",
                Some("8090"),
            ),
            (
                r#"$addr = $_ENV['OTEL_ADDR'] ?? 'otel:4317';"#,
                "OTEL_ADDR",
                Some("otel:4317"),
            ),
            (
                "Port int `env:\"PORT\" envDefault:\"8081\"`",
                "PORT",
                Some("8081"),
            ),
            ("Port int `env:\"PORT,default=8081\"`", "PORT", Some("8081")),
            (
                "Port int `envconfig:\"PORT\" default:\"8081\"`",
                "PORT",
                Some("8081"),
            ),
        ];
        for (text, name, fallback) in cases {
            let v = facts(text, super::env_reads);
            let found = v.iter().find_map(|f| match f {
                Fact::EnvRead {
                    name: n,
                    fallback: fb,
                    ..
                } if n == name => Some(fb.as_ref().map(|(v, _)| v.clone())),
                _ => None,
            });
            assert_eq!(found, Some(fallback.map(str::to_string)), "{text}: {v:?}");
        }
    }

    #[test]
    fn env_reads_in_every_language() {
        let cases = [
            (
                r#"os.getenv("ORCH_ADDR", "orch:50052")"#,
                "ORCH_ADDR",
                Some("orch:50052"),
            ),
            (r#"os.environ.get('X_PORT', 8080)"#, "X_PORT", Some("8080")),
            (r#"os.environ["X"]"#, "X", None),
            (r#"os.Getenv("NATS_URL")"#, "NATS_URL", None),
            (r#"env::var("A").unwrap_or("b:1".into())"#, "A", Some("b:1")),
            (
                r#"env::var("A").unwrap_or_else(|_| "b:2".to_string())"#,
                "A",
                Some("b:2"),
            ),
            (
                r#"process.env.API_URL ?? "http://api:8000""#,
                "API_URL",
                Some("http://api:8000"),
            ),
            (r#"process.env.API_URL || 'x'"#, "API_URL", Some("x")),
            (
                r#"const { CART_ADDR = "cart:7070" } = process.env;"#,
                "CART_ADDR",
                Some("cart:7070"),
            ),
            (r#"System.getenv("DB_HOST")"#, "DB_HOST", None),
            (
                r#"System.getenv().getOrDefault("PORT", "9555")"#,
                "PORT",
                Some("9555"),
            ),
            (
                r#"@Value("http://${BALANCES_API_ADDR}/balances")"#,
                "BALANCES_API_ADDR",
                None,
            ),
            (r#"server.port=${PORT:8081}"#, "PORT", Some("8081")),
            (r#"Configuration["REDIS_ADDR"]"#, "REDIS_ADDR", None),
            (
                r#"var port = config.GetValue("PORT", 80);"#,
                "PORT",
                Some("80"),
            ),
            (
                r#"configuration.GetValue<string>("REDIS_ADDR")"#,
                "REDIS_ADDR",
                None,
            ),
            (
                r#"Environment.GetEnvironmentVariable("REDIS_ADDR")"#,
                "REDIS_ADDR",
                None,
            ),
            (
                r#"mustMapEnv(&svc.cartSvcAddr, "CART_SERVICE_ADDR")"#,
                "CART_SERVICE_ADDR",
                None,
            ),
            (r#"os.LookupEnv("LISTEN_ADDR")"#, "LISTEN_ADDR", None),
            (
                "if v, ok := os.LookupEnv(\"CART_ADDR\"); ok {\n\t\treturn v\n\t}\n\treturn \"cart:7070\"",
                "CART_ADDR",
                Some("cart:7070"),
            ),
            (
                "if v := os.Getenv(\"CART_ADDR\"); v != \"\" {\n\t\treturn v\n\t}\n\treturn \"cart:7070\"",
                "CART_ADDR",
                Some("cart:7070"),
            ),
            (
                r#"${NATS_URL:-nats://nats:4222}"#,
                "NATS_URL",
                Some("nats://nats:4222"),
            ),
        ];
        for (text, name, fallback) in cases {
            let v = facts(text, env_reads);
            assert_eq!(v.len(), 1, "{text}: {v:?}");
            let Fact::EnvRead {
                name: n,
                fallback: f,
                ..
            } = &v[0]
            else {
                panic!()
            };
            assert_eq!(n, name, "{text}");
            assert_eq!(f.as_ref().map(|x| x.0.as_str()), fallback, "{text}");
        }
    }

    #[test]
    fn port_assignments_need_a_port_name() {
        assert_eq!(
            facts("ORCHESTRATOR_PORT = 50052\n", |t, o| port_assignments(
                t, false, o
            ))
            .len(),
            1
        );
        assert_eq!(
            facts("  port: 8080\n", |t, o| port_assignments(t, true, o)).len(),
            1
        );
        assert_eq!(
            facts("app.run(port=5000)", |t, o| port_assignments(t, false, o)).len(),
            1
        );
        assert!(
            facts("MAX_QUEUE_ITEMS = 50052\n", |t, o| port_assignments(
                t, false, o
            ))
            .is_empty()
        );
        for t in [
            "listenPort = \"5050\"",
            "defaultPort := 5050",
            "GRPC_PORT=5050",
            "server.port = 5050",
            "grpc_port: 5050",
        ] {
            let v = facts(t, |t, o| port_assignments(t, false, o));
            assert!(
                matches!(v.as_slice(), [Fact::PortAssign { port: 5050, .. }]),
                "{t}: {v:?}"
            );
        }
        assert!(
            facts("transport = 5\nsupport: 9\n", |t, o| port_assignments(
                t, false, o
            ))
            .is_empty()
        );
    }

    /// EXPOSE's span starts at the keyword, on its own line (not at the newline before it).
    #[test]
    fn expose_is_reported_on_its_line() {
        let text = "FROM x\n  EXPOSE 50051\n";
        let v = facts(text, super::binds);
        let [Fact::Bind { span, .. }] = v.as_slice() else {
            panic!("{v:?}")
        };
        assert_eq!(&text[span.clone()], "EXPOSE 50051");
    }

    #[test]
    fn binds() {
        for t in [
            "server.listen(8080)",
            r#"http.ListenAndServe(":8080", nil)"#,
            r#"net.Listen("tcp", ":8080")"#,
            r#"server.add_insecure_port("[::]:8080")"#,
            "EXPOSE 8080",
            "exec app --port 8080",
            "exec app --port=8080",
            r#"CMD ["gunicorn", "-b", ":8080", "app:app"]"#,
            "CMD gunicorn --bind 0.0.0.0:8080 app:app",
            r#"System.setProperty("server.port", "8080");"#,
            "<port>8080</port>",
            "ENV PORT 8080",
            "ENV DOTNET_EnableDiagnostics=0 \\\n    ASPNETCORE_HTTP_PORTS=8080",
            "ENV HTTP_PORTS=8080",
            r#"ASPNETCORE_URLS: "http://+:8080""#,
            r#"builder.WebHost.UseUrls("http://*:8080");"#,
            "options.ListenAnyIP(8080);",
            "server {\n    listen       8080;",
            "    listen  [::]:8080;",
            "    listen 0.0.0.0:8080 default_server;",
            r#"fs.Int("port", 8080, "HTTP port to bind service to")"#,
            r#"flag.IntVar(&cfg.Port, "port", 8080, "listen port")"#,
            r#"CMD ["python", "server.py", "--port", "8080"]"#,
            r#"pflag.IntP("port", "p", 8080, "port")"#,
            r#"parser.add_argument("--port", type=int, default=8080)"#,
            r#"@click.option("--port", default=8080, help="port")"#,
        ] {
            let v = facts(t, super::binds);
            assert_eq!(v.len(), 1, "{t}");
            assert!(matches!(v[0], Fact::Bind { port: 8080, .. }), "{t}");
        }
    }

    #[test]
    fn a_tls_listener_is_not_the_services_bind() {
        for t in [
            "    listen 443 ssl;",
            "    listen [::]:443 ssl http2;",
            "listen 8443 quic;",
        ] {
            assert!(facts(t, super::binds).is_empty(), "{t}");
        }
        // Another flag's default is not the listen port.
        assert!(facts(r#"fs.Int("port-metrics", 9797, "metrics")"#, super::binds).is_empty());
        // Prose naming a port is no listener: it needs the directive's `;`.
        assert!(facts("listen 8080 for requests", super::binds).is_empty());
    }

    #[test]
    fn addresses_and_image_references() {
        let re = address_regex(&["orchestrator".into(), "redis".into(), "nats".into()]).unwrap();
        let get = |t: &str| {
            let mut v = Vec::new();
            addresses(t, &re, &mut v);
            v
        };
        let v = get(r#"x = "orchestrator.swe-ai-fleet.svc.cluster.local:50052""#);
        assert_eq!(v.len(), 1);
        let Fact::Address {
            host, suffix, port, ..
        } = &v[0]
        else {
            panic!()
        };
        assert_eq!(
            (host.as_str(), suffix.as_str(), *port),
            (
                "orchestrator",
                ".swe-ai-fleet.svc.cluster.local",
                Some(50052)
            )
        );
        assert_eq!(get("REDIS=redis:6379").len(), 1);
        assert_eq!(get("nats://nats:4222").len(), 1);
        // Image references and words that merely contain a name are not addresses.
        assert!(get("image: redis:7").is_empty());
        assert!(get("FROM nats:2.10.22-alpine").is_empty());
        assert!(get("docker.io/library/redis:7.4").is_empty());
        assert!(get("import redis\nmy-redis:6379\n").is_empty());
        assert!(get("redis:6379abc").is_empty());
        // A manifest's env value that is only the address: a two-digit port counts there.
        assert_eq!(get("          value: redis:81").len(), 1);
        assert_eq!(get("- value: \"nats:42\"").len(), 1);
        assert!(get("  tag: redis:7").is_empty());
        assert!(get("  value: redis:7 and more").is_empty());
        // One digit stays an image tag's shape, even as a whole value (`IMAGE=redis:7`).
        assert!(get("  value: redis:7").is_empty());
    }

    #[test]
    fn java_defaults_and_spring_environment_reads() {
        let reads = |text: &str| -> Vec<(String, Option<String>)> {
            facts(text, env_reads)
                .into_iter()
                .filter_map(|f| match f {
                    Fact::EnvRead { name, fallback, .. } => Some((name, fallback.map(|f| f.0))),
                    _ => None,
                })
                .collect()
        };
        let some = |n: &str, d: Option<&str>| vec![(n.to_string(), d.map(str::to_string))];
        assert_eq!(
            reads(r#"Optional.ofNullable(System.getenv("AD_PORT")).orElse("9555")"#),
            some("AD_PORT", Some("9555"))
        );
        assert_eq!(
            reads(r#"System.getenv("R_PORT") == null ? "9080" : System.getenv("R_PORT")"#)[0],
            some("R_PORT", Some("9080"))[0]
        );
        assert_eq!(
            reads(r#"env.getProperty("DB_PASSWORD")"#),
            some("DB_PASSWORD", None)
        );
        // A JVM system property is not the environment.
        assert!(reads(r#"System.getProperty("USER_HOME")"#).is_empty());
    }

    #[test]
    fn dotnet_sections_name_their_double_underscore_variable() {
        let text = r#"Configuration["Services:Catalog:Url"]; config.GetValue<int>("Grpc:Port", 5001); Configuration["PLAIN"]"#;
        let got: Vec<(String, Option<String>)> = facts(text, section_reads)
            .into_iter()
            .filter_map(|f| match f {
                Fact::PropertyRead { env, fallback, .. } => Some((env, fallback.map(|f| f.0))),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Services__Catalog__Url".into(), None),
                ("Grpc__Port".into(), Some("5001".into())),
            ]
        );
    }

    #[test]
    fn dotted_spring_properties_name_their_relaxed_variable() {
        let text = r#"@Value("${catalog.service-port:8080}") @Value("${a.b}") ${PLAIN:1}"#;
        let got: Vec<(String, String, Option<String>)> = facts(text, property_reads)
            .into_iter()
            .filter_map(|f| match f {
                Fact::PropertyRead {
                    property,
                    env,
                    fallback,
                    ..
                } => Some((property, env, fallback.map(|f| f.0))),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "catalog.service-port".into(),
                    "CATALOG_SERVICEPORT".into(),
                    Some("8080".into())
                ),
                ("a.b".into(), "A_B".into(), None),
            ]
        );
    }

    #[test]
    fn every_member_of_a_destructured_environment_is_a_read() {
        let text = "const {\n  PORT = '8080',\n  CATALOG_ADDR,\n  ORDER_URL: orderUrl = \"http://order:3000\",\n} = process.env;\n";
        let got: Vec<(String, Option<String>, String)> = facts(text, env_reads)
            .into_iter()
            .filter_map(|f| match f {
                Fact::EnvRead {
                    name,
                    fallback,
                    span,
                } => Some((name, fallback.map(|(v, _)| v), text[span].to_string())),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            [
                ("PORT".into(), Some("8080".into()), "PORT".into()),
                ("CATALOG_ADDR".into(), None, "CATALOG_ADDR".into()),
                (
                    "ORDER_URL".into(),
                    Some("http://order:3000".into()),
                    "ORDER_URL".into()
                ),
            ]
        );
    }

    #[test]
    fn a_function_reading_the_environment_under_its_parameter_is_a_wrapper() {
        let reads = |text: &str| -> Vec<(String, Option<String>)> {
            facts(text, env_reads)
                .into_iter()
                .filter_map(|f| match f {
                    Fact::EnvRead { name, fallback, .. } => Some((name, fallback.map(|(v, _)| v))),
                    _ => None,
                })
                .collect()
        };
        let python = "def setting(name, default=None):\n    return os.environ.get(name, default)\n\nCART = setting(\"CART_ADDR\", \"cart:7070\")\n";
        assert!(
            reads(python).contains(&("CART_ADDR".into(), Some("cart:7070".into()))),
            "{:?}",
            reads(python)
        );
        let go = "func envOrDefault(key, fallback string) string {\n\tif v, ok := os.LookupEnv(key); ok {\n\t\treturn v\n\t}\n\treturn fallback\n}\n\nvar addr = envOrDefault(\"CATALOG_ADDR\", \"catalog:3550\")\n";
        assert!(
            reads(go).contains(&("CATALOG_ADDR".into(), Some("catalog:3550".into()))),
            "{:?}",
            reads(go)
        );
        let js = "const env = (key, dflt) => process.env[key] ?? dflt;\nconst port = env('PORT', '8080');\n";
        assert!(
            reads(js).contains(&("PORT".into(), Some("8080".into()))),
            "{:?}",
            reads(js)
        );
        // A function of a parameter that reads something else is no wrapper.
        let other = "def label(name):\n    return name.upper()\n\nX = label(\"CART_ADDR\")\n";
        assert!(reads(other).is_empty(), "{:?}", reads(other));
    }
}
