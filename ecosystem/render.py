"""A repository's manifests as Kubernetes YAML files, whatever style it keeps them in.

- plain: the files and directories named, as they are;
- helm: `helm template` of each chart with its values files (dependencies the repository keeps
  elsewhere in its own tree are copied into the chart's `charts/` first: no network);
- kustomize: `kubectl kustomize` of the overlay;
- compose: each compose service translated as kompose does it — a Deployment with the
  image, environment and container ports, and a Service whose port is the published one.
  This translation is the harness's, not maestroc's: it lets import and the scanner meet
  compose-only repositories, and its shape is stated here so its counts can be read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml


class RenderError(Exception):
    pass


def _yaml_files(p: Path) -> list[Path]:
    if p.is_file():
        return [p]
    return sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())


def plain(root: Path, paths: list[str]) -> list[Path]:
    out = []
    for p in paths:
        out.extend(_yaml_files(root / p))
    if not out:
        raise RenderError(f"no YAML under {paths}")
    return out


def helm(root: Path, chart: dict, dest: Path, tools: dict) -> Path:
    path = root / chart["path"]
    for name, where in (chart.get("deps") or {}).items():
        target = path / "charts" / name
        if not target.exists():
            shutil.copytree(root / where, target)
    args = [tools["helm"], "template", chart.get("release", "eco"), str(path),
            "--namespace", chart.get("namespace", "default")]
    for v in chart.get("values") or []:
        args += ["-f", str(root / v)]
    for s in chart.get("set") or []:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RenderError(f"helm template {chart['path']}: {r.stderr.strip()[:300]}")
    dest.write_text(r.stdout)
    return dest


def kustomize(root: Path, overlay: str, dest: Path, tools: dict) -> Path:
    r = subprocess.run([tools["kubectl"], "kustomize", str(root / overlay)],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RenderError(f"kubectl kustomize {overlay}: {r.stderr.strip()[:300]}")
    dest.write_text(r.stdout)
    return dest


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _dotenv(path: Path) -> dict:
    """A compose `.env` file; values may use earlier variables, as compose expands them."""
    env: dict = {}
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k.strip()] = _subst(v.strip().strip('"').strip("'"), env)
    return env


def _subst(text: str, env: dict) -> str:
    def one(m):
        name = m.group(1) or m.group(3)
        return env.get(name, m.group(2) or "")
    return _VAR.sub(one, text)


def _ports(spec) -> list[tuple[int, int]]:
    """(published, container) pairs of a compose service's `ports` and `expose`."""
    out = []
    for p in spec.get("ports") or []:
        if isinstance(p, dict):
            t = int(p["target"])
            out.append((int(p.get("published") or t), t))
            continue
        s = str(p).split("/")[0]
        parts = s.split(":")
        try:
            target = int(parts[-1].split("-")[0])
            published = int(parts[-2].split("-")[0]) if len(parts) >= 2 and parts[-2] else target
        except ValueError:
            continue
        out.append((published, target))
    for e in spec.get("expose") or []:
        try:
            n = int(str(e).split("/")[0])
        except ValueError:
            continue
        out.append((n, n))
    seen, uniq = set(), []
    for p in out:
        if p[1] not in seen:
            seen.add(p[1])
            uniq.append(p)
    return uniq


def _env(spec, dotenv: dict) -> list[dict]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        # `- NAME` alone passes NAME through from the shell (here: the .env file).
        env = dict((e.split("=", 1) if "=" in e else [e, dotenv.get(e, "")])
                   for e in env if isinstance(e, str))
    return [{"name": str(k), "value": dotenv.get(str(k), "") if v is None else str(v)}
            for k, v in env.items()]


def _name(n: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", n.lower()).strip("-")[:63] or "svc"


def compose(root: Path, files: list[str], dest: Path) -> Path:
    env: dict = {}
    services: dict = {}
    for f in files:
        env.update(_dotenv((root / f).parent / ".env"))
        doc = yaml.safe_load(_subst((root / f).read_text(errors="replace"), env)) or {}
        for name, spec in (doc.get("services") or {}).items():
            services.setdefault(name, {}).update(spec or {})
    docs = []
    for name, spec in services.items():
        n = _name(name)
        image = spec.get("image") or f"local/{n}:compose"
        container = {"name": n, "image": str(image)}
        ports = _ports(spec)
        if ports:
            container["ports"] = [{"containerPort": t} for _, t in ports]
        env_list = _env(spec, env)
        if env_list:
            container["env"] = env_list
        labels = {"app": n}
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": n, "labels": labels},
                     "spec": {"selector": {"matchLabels": labels},
                              "template": {"metadata": {"labels": labels},
                                           "spec": {"containers": [container]}}}})
        if ports:
            docs.append({"apiVersion": "v1", "kind": "Service",
                         "metadata": {"name": n, "labels": labels},
                         "spec": {"selector": labels,
                                  "ports": [{"name": f"p{p}", "port": p, "targetPort": t}
                                            for p, t in ports]}})
    if not docs:
        raise RenderError(f"no compose services in {files}")
    dest.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return dest


def load_objects(files: list[Path]) -> list[dict]:
    """Every Kubernetes object in `files` (`List`s unpacked); unreadable documents skipped."""
    out = []
    for f in files:
        try:
            docs = list(yaml.safe_load_all(f.read_text(errors="replace")))
        except yaml.YAMLError:
            continue
        for d in docs:
            if isinstance(d, dict) and d.get("kind") == "List":
                out.extend(i for i in d.get("items") or [] if isinstance(i, dict))
            elif (isinstance(d, dict) and d.get("kind") and d.get("apiVersion")
                  and not str(d["apiVersion"]).startswith("kustomize.config.k8s.io")):
                # A kustomization.yaml in a plain directory configures kubectl, not the cluster.
                out.append(d)
    return out
