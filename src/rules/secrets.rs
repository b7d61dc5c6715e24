//! MC3xx: secrets — values that must never be in the spec, and secrets wired wrongly.

use super::Rule;
use crate::diagnostic::Severity::{Error, Warning};

pub(super) static RULES: &[Rule] = &[
    Rule {
        code: "MC301",
        name: "secret-literal-value",
        severity: Error,
        summary: "a literal value on an env var whose name says it is a secret",
        explanation: "What it does: flags `env NAME \"value\"` (and `value NAME \"…\"`) where NAME \
contains PASSWORD, SECRET, TOKEN, CREDENTIAL or PRIVATE, or ends in _KEY — except settings about \
a secret (names ending _FILE, _PATH, _DIR, _NAME, _TTL, _LENGTH, _ENABLED…) and values no \
credential has (numbers, booleans, absolute paths).\n\
Why it matters: platform.kdl is committed; a credential in it is a leaked credential.\n\
Example: `env DB_PASSWORD \"hunter2\"`.\n\
Fix: declare a `secret \"db\" { key DB_PASSWORD }` and write `env DB_PASSWORD secret=\"db\"`.",
    },
    Rule {
        code: "MC302",
        name: "default-credential",
        severity: Error,
        summary: "a well-known default credential (minioadmin, admin, changeme, password…)",
        explanation: "What it does: flags env and default values equal to credentials every scanner \
tries first: minioadmin, admin, changeme, change-me, password, root, secret.\n\
Why it matters: these are the first credentials an attacker tries, and they end up in \
production more often than anyone admits.\n\
Example: `env MINIO_ROOT_USER \"minioadmin\"`.\n\
Fix: move the value into a secret store and reference it with `secret=`.",
    },
    Rule {
        code: "MC303",
        name: "unused-secret",
        severity: Warning,
        summary: "a secret declared but referenced by no env var",
        explanation: "What it does: flags a `secret` no `env … secret=` refers to.\n\
Why it matters: it is never materialised, so whoever declared it probably expects a workload \
to receive it and none does.\n\
Example: `secret \"legacy-db\" { key PASSWORD }` with no reference.\n\
Fix: reference it from the service that needs it, or remove it.",
    },
    Rule {
        code: "MC304",
        name: "undeclared-secret-key",
        severity: Error,
        summary: "an env var reads a key the secret does not declare",
        explanation: "What it does: flags `env X secret=\"s\" key=\"K\"` where secret s has no `key K`.\n\
Why it matters: the pod stays in CreateContainerConfigError until someone notices.\n\
Example: `key DB_PASSWORD` declared, `key=\"DB_PASWORD\"` referenced.\n\
Fix: use a declared key, or add the key to the secret.",
    },
    Rule {
        code: "MC305",
        name: "private-key-committed",
        severity: Error,
        summary: "a private key in a file of the repository (`check --scan`)",
        explanation: "What it does: finds `-----BEGIN … PRIVATE KEY-----` in any scanned file — a \
manifest's Secret, a config file, a test fixture.\n\
Why it matters: whoever can read the repository can impersonate the service; rotating the key \
is the only fix once it is pushed.\n\
Example: a Secret manifest with `jwtRS256.key: |` and the key inline.\n\
Fix: remove it (and rotate it), keep it in the secret store, and declare it with `secret \
\"jwt\" { key jwtRS256.key }` mounted by `volume … secret=\"jwt\"`.",
    },
    Rule {
        code: "MC306",
        name: "credential-in-uri",
        severity: Error,
        summary: "a password inside a connection URI (`scheme://user:password@host`, `?password=`)",
        explanation: "What it does: flags a URI whose user-info (`scheme://user:pw@`, \
`redis://:pw@`, a scheme-less `user:pw@host`) or query (`?password=`, `&token=`) carries a \
literal password, in any string of the spec or the files it ships, or in any scanned file. A \
placeholder (`$(DB_PASSWORD)`, `${PASS}`, `{KEY}`) exempts only itself: \
`postgresql://admin:Hunter2@{DB_ADDRESS}/app` is still a literal password.\n\
Why it matters: the password travels with every copy of the URI — logs, ConfigMaps, Git.\n\
Example: `postgresql://admin:password@db:5432/mlflow`.\n\
Fix: keep the password in a secret (`env DB_PASSWORD secret=\"db\"`) and build the URI from \
it at run time, e.g. `postgresql://admin:$(DB_PASSWORD)@db:5432/mlflow` after that env var.",
    },
    Rule {
        code: "MC307",
        name: "credential-shaped-value",
        severity: Error,
        summary: "a value shaped like a credential (a cloud key, an API token, a JWT, a private key)",
        explanation: "What it does: flags any string of the spec or of the files it ships (env of \
every container, `defaults`, command and args, labels, annotations, probe headers, patches, \
`extra` objects, `external` hosts) that has the shape of a credential, whatever its name: AWS \
access key ids, GitHub, GitLab, Slack, \
Stripe, Google, SendGrid, npm and OpenAI tokens, JSON web tokens, PEM private keys — the \
formats gitleaks' and trufflehog's rules anchor on. The diagnostic masks the value.\n\
Why it matters: a neutral name (`CONFIG`, `args`) does not make a token less of a token; \
whoever reads the repository or the generated ConfigMaps can use it.\n\
Example: `env UPLOAD \"AKIAIOSFODNN7EXAMPLE\"`.\n\
Fix: revoke it, keep the new one in a `secret`, and read it with `env NAME secret=\"…\"`.",
    },
    Rule {
        code: "MC308",
        name: "high-entropy-value",
        severity: Warning,
        summary: "a long random-looking string (mixed case and digits, high entropy) in a value the spec ships",
        explanation: "What it does: flags a run of at least 24 characters of the base64/base64url \
alphabet that mixes upper case, lower case and digits and whose Shannon entropy is at least \
4.2 bits per character — the generic rule gitleaks and trufflehog keep for tokens of no \
known format — in any string of the spec or its shipped files. Certificates and public keys \
(`BEGIN CERTIFICATE`, `PUBLIC KEY`), digests (`sha256:`, `sha512-`) and hexadecimal or \
single-case strings are not flagged. A warning, not an error: randomness is a hint, not \
evidence; the named formats are MC307.\n\
Why it matters: a token of a format no rule knows (an internal service's API key, a session \
secret) is still a credential in a committed file and a generated ConfigMap.\n\
Example: `args \"--api-key\" \"q8Xr2LmZ7vTn4KpW9sYb3HcJ\"`.\n\
Fix: keep it in a `secret` and read it with `env NAME secret=\"…\"` (`$(NAME)` in args); if \
it is not a secret (a public identifier), `MC308 = \"off\"` under `[rules]` in \
maestroc.toml.",
    },
];
