"""Single drifts planted into a real repository, generated from the repository itself.

Never from the scanner's own findings (that would only measure the scanner against itself):
each plant is found by reading the repository's manifests and code the way a reviewer would,
and it is *found* when `check --scan` reports an error at the plant's file and line.

Kinds:
- `manifest-port`: a hand-written manifest's `port:`, `targetPort:` or `containerPort:`
  number (a Helm values file's too) moved by one;
- `address-port`: the port of an address (`host:port`, `scheme://host:port`) in a manifest
  whose host is one of the spec's services, moved by one;
- `env-removed`: a variable the manifests set and the service's code reads (a whole-word grep
  of its source directory) removed from the spec; found at any line of the code that reads it;
- `listen-literal`: a service's container port written as a literal on a line of its own code
  that speaks of ports or listening, moved by one.

Not every edit is a drift. run.py sets two kinds aside, each listed with its reason: a plant in
a chart that changes nothing `helm template` renders with the configured values (a branch
those values leave off, a key no template reads) — measured, by rendering before and after —
and plants judged by hand in repos.toml (`not_drift`, with why): a removed variable whose
default equals the removed value, a setting that is no wiring, a port the spec never declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

CODE = {".go", ".py", ".js", ".mjs", ".ts", ".java", ".kt", ".cs", ".rb", ".php", ".rs",
        ".ex", ".exs", ".properties", ".conf", ".ini", ".toml", ".env", ".sh"}
# Local-development and test settings are not what runs: no plant goes there.
DEV_FILE = re.compile(r"^(dev|test)\.exs$|-(dev|test|local)\.(ya?ml|properties)$|_test\.|^test_|\.(test|spec)\.")
CONFIG_NAMES = re.compile(r"^(application|bootstrap|appsettings|config|settings)[^/]*\.(ya?ml|json)$")
SKIP_DIR = re.compile(r"(^|/)(tests?|__tests__|spec|e2e|docs?|examples?|node_modules|vendor|"
                      r"target|build|dist|\.git)(/|$)")

MANIFEST_PORT = re.compile(r"^(\s*-?\s*)(containerPort|targetPort|port|servicePort):\s*\"?(\d{2,5})\"?\s*(#.*)?$")
ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?([a-z0-9][a-z0-9-]*)(?:\.[a-z0-9.-]+)?:(\d{2,5})\b")
PORTISH = re.compile(r"port|listen|bind|serve|addr|PORT|Port|Listen|Addr|Bind", re.I)


@dataclass
class Plant:
    kind: str
    file: str  # relative to the scanned root
    line: int  # 1-based
    before: str  # the whole line before
    after: str  # the whole line after
    also: list = field(default_factory=list)  # (file, line) where it also counts as found
    note: str = ""

    def label(self) -> str:
        return f"{self.kind} {self.file}:{self.line} {self.note}".strip()


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").split("\n")
    except OSError:
        return []


def _bump(line: str, start: int, end: int) -> str:
    n = int(line[start:end])
    return line[:start] + str(n + 1 if n < 65535 else n - 1) + line[end:]


PROBE = re.compile(r"^\s*-?\s*(httpGet|tcpSocket|grpc|exec|livenessProbe|readinessProbe|startupProbe):\s*$")


def _in_probe(lines: list[str], i: int) -> bool:
    """A probe's `port:` is no Service or container port: a plant names the wiring."""
    return any(PROBE.match(lines[j]) for j in range(max(0, i - 3), i))


def manifest_ports(root: Path, files: list[Path], limit: int = 2) -> list[Plant]:
    per_kind: dict[str, list[Plant]] = {}
    for f in files:
        rel = str(f.relative_to(root))
        lines = _lines(f)
        for i, line in enumerate(lines):
            m = MANIFEST_PORT.match(line)
            if not m or _in_probe(lines, i):
                continue
            kind = m.group(2)
            plants = per_kind.setdefault(kind, [])
            # Spread over files: at most one plant per file and kind.
            if len(plants) < limit and all(p.file != rel for p in plants):
                plants.append(Plant("manifest-port", rel, i + 1, line,
                                    _bump(line, m.start(3), m.end(3)), note=kind))
    return [p for ps in per_kind.values() for p in ps]


def address_ports(root: Path, files: list[Path], services: set[str], limit: int = 3) -> list[Plant]:
    out = []
    for f in files:
        rel = str(f.relative_to(root))
        for i, line in enumerate(_lines(f)):
            if "value" not in line and "=" not in line and "url" not in line.lower():
                continue
            if line.lstrip().startswith("#"):
                continue
            for m in ADDRESS.finditer(line):
                if m.group(1) in services and len(out) < limit and all(p.file != rel for p in out):
                    out.append(Plant("address-port", rel, i + 1, line,
                                     _bump(line, m.start(2), m.end(2)), note=m.group(0)))
                    break
    return out


API_VERSION = re.compile(r"^apiVersion:", re.M)
KIND = re.compile(r"^kind:", re.M)


def _is_k8s_object(f: Path) -> bool:
    text = "\n".join(_lines(f))
    return bool(API_VERSION.search(text) and KIND.search(text))


def _code_files(d: Path, root: Path) -> list[Path]:
    out = []
    for f in sorted(d.rglob("*")):
        rel = str(f.relative_to(root))
        if not f.is_file() or SKIP_DIR.search(rel) or DEV_FILE.search(f.name):
            continue
        if f.suffix in CODE or CONFIG_NAMES.match(f.name) or f.name == "Dockerfile":
            # A Kubernetes object named `config.yaml` is a manifest, not code: the variable it
            # sets is read by an image, which no grep of the repository sees.
            if f.suffix in (".yaml", ".yml") and _is_k8s_object(f):
                continue
            out.append(f)
    return out


def env_removed(root: Path, spec: str, sources: dict[str, Path], limit: int = 3) -> list[Plant]:
    """Variables set in the spec (as import wrote them) that the service's code reads."""
    out = []
    lines = spec.split("\n")
    service = None
    for i, line in enumerate(lines):
        m = re.match(r'^service "?([^"\s{]+)"? \{', line)
        if m:
            service = m.group(1)
            continue
        m = re.match(r'^\s+env "?([A-Za-z_][A-Za-z0-9_]*)"? ', line)
        if not m or service not in sources or len(out) >= limit:
            continue
        name = m.group(1)
        word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
        reads = []
        for f in _code_files(sources[service], root):
            for n, l in enumerate(_lines(f)):
                if word.search(l):
                    reads.append((str(f.relative_to(root)), n + 1))
        if reads and all(p.note != name for p in out):
            out.append(Plant("env-removed", "platform.kdl", i + 1, line, "", also=reads,
                             note=name))
    return out


def listen_literals(root: Path, sources: dict[str, Path], ports: dict[str, list[int]],
                    limit: int = 3) -> list[Plant]:
    out = []
    for service, d in sorted(sources.items()):
        if len(out) >= limit:
            break
        for port in ports.get(service, []):
            num = re.compile(rf"(?<![0-9.]){port}(?![0-9])")
            done = False
            for f in _code_files(d, root):
                if f.name == "Dockerfile" or f.suffix in (".sh",):
                    continue
                for i, line in enumerate(_lines(f)):
                    m = num.search(line)
                    if m and PORTISH.search(line) and not line.lstrip().startswith(("//", "#", "*")):
                        out.append(Plant("listen-literal", str(f.relative_to(root)), i + 1, line,
                                         _bump(line, m.start(), m.end()), note=f"{service}:{port}"))
                        done = True
                        break
                if done:
                    break
            if done:
                break
    return out[:limit]


def apply(root: Path, plant: Plant) -> str:
    """Applies `plant` to the tree under `root` and returns the file's old text."""
    path = root / plant.file
    text = path.read_text(errors="replace")
    lines = text.split("\n")
    assert lines[plant.line - 1] == plant.before, plant.label()
    if plant.kind == "env-removed":
        # Slash-dash comments the node out: the spec no longer provides the variable.
        lines[plant.line - 1] = plant.before[: len(plant.before) - len(plant.before.lstrip())] + "/-" + plant.before.lstrip()
    else:
        lines[plant.line - 1] = plant.after
    path.write_text("\n".join(lines))
    return text


def found(plant: Plant, errors: list[dict]) -> bool:
    if plant.kind == "env-removed":
        where = {tuple(a) for a in plant.also}
    else:
        where = {(plant.file, plant.line)}
    return any((e.get("file"), e.get("line")) in where for e in errors)
