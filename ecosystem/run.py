"""The ecosystem check: maestroc against pinned public repositories it was not written for.

    python3 ecosystem/run.py [--only NAME] [--compare PREVIOUS.json] [--bin PATH]

Per repository (ecosystem/repos.toml): check out the pinned commit from its mirror, render its
manifests, then
1. import round trip: `import`, `build`, and the rebuilt objects compared with the originals as
   data after defaulting (compare.py): objects missing/extra, fields lost/changed, additions;
   a spec that does not build is repaired by commenting out (`/-`) each node an error points
   at, so the other columns can still be measured, and the table says so;
2. self-consistency scan: that spec at the repository's root with `source` lines, `check
   --scan` of the clean tree; every error is either a true drift listed in repos.toml (file,
   line, why) or a false alarm;
3. planted drifts (plants.py), each alone on the clean tree.
Writes ecosystem/results.json and ECOSYSTEM.md; `--compare` prints what moved.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import checkout  # noqa: E402
import compare  # noqa: E402
import plants  # noqa: E402
import render  # noqa: E402

PROJECT = HERE.parent


def run(args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=kw.pop("timeout", 300), **kw)


def findings(bin_, spec: Path, out: Path, scan: bool) -> list[dict]:
    args = [bin_, "check", "--spec", spec, "--out", out, "--format", "json", "--no-cache"]
    if scan:
        args.append("--scan")
    r = run(args)
    try:
        return json.loads(r.stdout)["findings"]
    except (json.JSONDecodeError, KeyError):
        return [{"code": "HARNESS", "severity": "error", "message": (r.stderr or r.stdout)[-300:]}]


def errors_of(fs: list[dict]) -> list[dict]:
    # MC205 (stale output) says nothing of the repository: the harness builds just before.
    return [f for f in fs if f.get("severity") == "error" and f.get("code") != "MC205"]


def repair(bin_, spec: Path, out: Path, rounds: int = 40) -> tuple[bool, int, list[str]]:
    """Comments out (`/-`) every node a spec error points at until the spec builds."""
    commented, codes = 0, []
    for _ in range(rounds):
        b = run([bin_, "build", "--spec", spec, "--out", out])
        if b.returncode == 0:
            return True, commented, codes
        errs = [f for f in findings(bin_, spec, out, False)
                if f.get("severity") == "error" and f.get("file", "").endswith("platform.kdl")]
        lines = spec.read_text().split("\n")
        changed = False
        for e in errs:
            n = e.get("line", 0) - 1
            if 0 <= n < len(lines) and not lines[n].lstrip().startswith("/-"):
                body = lines[n].lstrip()
                lines[n] = lines[n][: len(lines[n]) - len(body)] + "/-" + body
                commented += 1
                codes.append(e["code"])
                changed = True
        if not changed:
            return False, commented, codes
        spec.write_text("\n".join(lines))
    return False, commented, codes


def service_sources(tree: Path, spec: str, repo: dict) -> dict[str, Path]:
    explicit = repo.get("sources") or {}
    roots = repo.get("source_roots") or []
    out = {}
    for name in re.findall(r'^service "?([^"\s{]+)"? \{', spec, re.M):
        if name in explicit:
            if (tree / explicit[name]).is_dir():
                out[name] = tree / explicit[name]
            continue
        for r in roots:
            base = tree / r
            cands = [base / name] + (sorted(base.glob(f"*/{name}")) if base.is_dir() else [])
            hit = next((c for c in cands if c.is_dir()), None)
            if hit:
                out[name] = hit
                break
    return out


def with_sources(spec: str, sources: dict[str, Path], tree: Path) -> str:
    def add(m):
        name = m.group(1)
        if name not in sources:
            return m.group(0)
        return f'{m.group(0)}\n    source "{sources[name].relative_to(tree)}"'
    return re.sub(r'^service "?([^"\s{]+)"? \{', add, spec, flags=re.M)


def spec_ports(spec: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    service = None
    for line in spec.split("\n"):
        m = re.match(r'^service "?([^"\s{]+)"? \{', line)
        if m:
            service = m.group(1)
        m = re.match(r"^\s+port \S+ (\d+)", line)
        if m and service:
            out.setdefault(service, []).append(int(m.group(1)))
    return out


def manifest_files(tree: Path, repo: dict, rendered_plain: list[Path]) -> list[Path]:
    """The hand-written files a reviewer would edit: plain manifests, chart values and
    templates, kustomize bases and overlays, compose files."""
    style = repo["style"]
    if style == "plain":
        return rendered_plain
    out: list[Path] = []
    if style == "helm":
        for c in repo["charts"]:
            base = tree / c["path"]
            out += [base / "values.yaml"] + [tree / v for v in c.get("values") or []]
            out += sorted((base / "templates").glob("*.yaml"))
    elif style == "kustomize":
        out += render._yaml_files(tree / repo.get("kustomize_root", repo["kustomize"]))
    elif style == "compose":
        out += [tree / f for f in repo["compose"]]
    return [f for f in out if f.is_file()]


def resolve_deps(chart: dict, cache: Path, mirrors: Path) -> dict:
    """A dependency kept in another repository (`owner/name@commit:path`) is checked out from
    that repository's mirror; the chart then names it by its absolute path."""
    deps = {}
    for name, where in (chart.get("deps") or {}).items():
        if "@" in where:
            repo, rest = where.split("@", 1)
            commit, path = rest.split(":", 1)
            git = checkout.mirror_dir(mirrors, repo)
            if git is None:
                raise render.RenderError(f"mirror missing for dependency {repo}")
            dest = cache / "checkout" / "_deps" / f"{repo.replace('/', '+')}-{commit[:10]}"
            checkout.checkout(git, commit, [path], dest)
            where = str(dest / path)
        deps[name] = where
    return {**chart, "deps": deps}


def one(repo: dict, cache: Path, mirrors: Path, bin_: str, tools: dict) -> dict:
    t0 = time.time()
    res: dict = {"name": repo["name"], "repo": repo["repo"], "commit": repo["commit"],
                 "languages": repo.get("languages", []), "style": repo["style"],
                 "kind": repo.get("kind", "demo")}
    git = checkout.mirror_dir(mirrors, repo["repo"])
    if git is None:
        res["error"] = "mirror missing"
        return res
    pristine = cache / "checkout" / repo["name"]
    co = checkout.checkout(git, repo["commit"], repo.get("paths") or [], pristine)
    res["checkout"] = co
    work = cache / "work" / repo["name"]
    if work.exists():
        shutil.rmtree(work)
    (work / "import").mkdir(parents=True)
    tree = work / "tree"
    shutil.copytree(pristine / repo.get("root", ""), tree, ignore=shutil.ignore_patterns(checkout.MARK))

    # Manifests → YAML files.
    resolved: list = []
    try:
        style = repo["style"]
        if style == "plain":
            inputs = render.plain(tree, repo["manifests"])
        elif style == "helm":
            resolved = [resolve_deps(c, cache, mirrors) for c in repo["charts"]]
            inputs = [render.helm(tree, c, work / f"rendered-{i}.yaml", tools)
                      for i, c in enumerate(resolved)]
        elif style == "kustomize":
            inputs = [render.kustomize(tree, repo["kustomize"], work / "rendered.yaml", tools)]
        else:
            inputs = [render.compose(tree, repo["compose"], work / "rendered.yaml")]
    except (render.RenderError, subprocess.TimeoutExpired, OSError, KeyError) as e:
        res["error"] = f"render: {e}"
        res["seconds"] = round(time.time() - t0, 1)
        return res
    originals = render.load_objects(inputs)

    # 1. Import round trip.
    spec = work / "import" / "platform.kdl"
    out = work / "import" / "output"
    r = run([bin_, "import", *inputs, "--spec", spec, "--force"], timeout=120)
    imp: dict = {"exit": r.returncode, "objects_in": len(originals)}
    m = re.search(r"(\d+) services from", r.stdout)
    imp["services"] = int(m.group(1)) if m else 0
    m = re.search(r"; (\d+) finding", r.stdout)
    imp["findings"] = int(m.group(1)) if m else None
    m = re.search(r"(\d+) objects, (\d+) fields read: (\d+) said natively, (\d+) in patches, "
                  r"(\d+) in extra files, (\d+) not carried", r.stdout)
    if m:
        imp["summary"] = dict(zip(("objects", "fields", "native", "patched", "extra", "not_carried"),
                                  map(int, m.groups())))
    if not spec.is_file():
        imp.update(builds=False, written=False, message=(r.stderr or r.stdout).strip()[-400:])
        res["import"] = imp
        res["seconds"] = round(time.time() - t0, 1)
        return res
    imported_text = spec.read_text()
    b = run([bin_, "build", "--spec", spec, "--out", out])
    imp["builds"] = b.returncode == 0
    if not imp["builds"]:
        imp["build_errors"] = [f"{e['code']}:{e.get('line')}" for e in errors_of(findings(bin_, spec, out, False))][:30]
        ok, commented, codes = repair(bin_, spec, out)
        imp.update(repaired=ok, commented=commented, repair_codes=sorted(set(codes)))
    if imp["builds"] or imp.get("repaired"):
        rebuilt = render.load_objects(sorted(out.glob("k8s/*/*.yaml")))
        imp.update(compare.compare(originals, rebuilt))
        imp["summary_disagrees"] = summary_disagrees(imp, originals)
    res["import"] = imp
    built_spec = spec.read_text()
    res["services"] = len(re.findall(r'^service ', built_spec, re.M))

    # 2. The clean tree, scanned against the spec at its root.
    if not (imp["builds"] or imp.get("repaired")):
        res["seconds"] = round(time.time() - t0, 1)
        return res
    sources = service_sources(tree, built_spec, repo)
    res["sources"] = len(sources)
    scan_spec = tree / "platform.kdl"
    scan_out = work / "scan-out"
    scan_spec.write_text(with_sources(built_spec, sources, tree))
    # How the charts are installed (release, values), as a user says it in maestroc.toml: the
    # scanner renders them with helm.
    charts = repo.get("charts") or []
    if charts:
        (tree / "maestroc.toml").write_text("".join(
            "[[scan.chart]]\n"
            f"path = {json.dumps(c['path'])}\n"
            f"release = {json.dumps(c.get('release', 'eco'))}\n"
            f"values = {json.dumps(c.get('values') or [])}\n"
            f"set = {json.dumps(c.get('set') or [])}\n\n"
            for c in charts))
    # The files import wrote beside the spec (`extra` objects, the credentials' values) go
    # with it.
    for f in (work / "import").iterdir():
        if f.is_dir() and f.name != "output":
            shutil.copytree(f, tree / f.name, dirs_exist_ok=True)
        elif f.is_file() and f.name not in ("platform.kdl",):
            shutil.copy(f, tree / f.name)
    run([bin_, "build", "--spec", scan_spec, "--out", scan_out])
    clean = errors_of(findings(bin_, scan_spec, scan_out, True))
    truth = {(t["file"], t["line"]) for t in repo.get("true_drift") or []}
    res["clean"] = {
        "true": [f"{e['code']} {e.get('file')}:{e.get('line')}" for e in clean if (e.get("file"), e.get("line")) in truth],
        "false": [f"{e['code']} {e.get('file')}:{e.get('line')} {e.get('message', '')[:110]}"
                  for e in clean if (e.get("file"), e.get("line")) not in truth],
    }

    # 3. Planted drifts, each alone.
    spec_now = scan_spec.read_text()
    services = set(re.findall(r'^service "?([^"\s{]+)"?', spec_now, re.M))
    services |= {str((o.get("metadata") or {}).get("name")) for o in originals if o.get("kind") == "Service"}
    mf = manifest_files(tree, repo, [tree / p.relative_to(tree) for p in inputs] if repo["style"] == "plain" else [])
    sources = {k: v for k, v in service_sources(tree, spec_now, repo).items()}
    candidates = (plants.manifest_ports(tree, mf) + plants.address_ports(tree, mf, services)
                  + plants.env_removed(tree, spec_now, sources)
                  + plants.listen_literals(tree, sources, spec_ports(spec_now)))
    judged = {d["plant"]: d["why"] for d in repo.get("not_drift") or []}
    baseline: dict = {}
    results = []
    for p in candidates:
        old = plants.apply(tree, p)
        try:
            errs = errors_of(findings(bin_, scan_spec, scan_out, True))
            inert = renders_the_same(p, resolved, tree, work, tools, baseline)
        finally:
            (tree / p.file).write_text(old)
        entry = {"plant": p.label(), "found": plants.found(p, errs)}
        if inert:
            entry["set_aside"] = "changes nothing `helm template` renders with the configured values"
        elif p.label() in judged:
            entry["set_aside"] = judged[p.label()]
        results.append(entry)
    res["plants"] = results
    res["seconds"] = round(time.time() - t0, 1)
    return res


def renders_the_same(p, charts: list, tree: Path, work: Path, tools: dict, baseline: dict) -> bool:
    """Whether the planted tree renders every chart the plant's file belongs to (a template or a
    configured values file) exactly as before: then the edit changes nothing deployed."""
    if p.kind not in ("manifest-port", "address-port"):
        return False
    relevant = [(i, c) for i, c in enumerate(charts)
                if p.file.startswith(c["path"].rstrip("/") + "/") or p.file in (c.get("values") or [])]
    if not relevant:
        return False
    for i, c in relevant:
        try:
            after = render.helm(tree, c, work / f"planted-{i}.yaml", tools).read_text().split("\n")
            if i not in baseline:
                # The unplanted render (made before any plant), and the lines that differ from
                # one render to the next (a chart's random passwords, their checksums).
                first = (work / f"rendered-{i}.yaml").read_text().split("\n")
                old = tree / p.file
                planted = old.read_text()
                old.write_text(plants_unapplied(p, planted))
                try:
                    second = render.helm(tree, c, work / f"again-{i}.yaml", tools).read_text().split("\n")
                finally:
                    old.write_text(planted)
                unstable = ({n for n, (a, b) in enumerate(zip(first, second)) if a != b}
                            if len(first) == len(second) else None)
                baseline[i] = (first, unstable)
        except (render.RenderError, subprocess.TimeoutExpired, OSError):
            return False
        first, unstable = baseline[i]
        if unstable is None or len(after) != len(first):
            return False
        if any(a != b and n not in unstable for n, (a, b) in enumerate(zip(first, after))):
            return False
    return True


def plants_unapplied(p, planted_text: str) -> str:
    """The file's text without the plant (the plant's line back as it was)."""
    lines = planted_text.split("\n")
    lines[p.line - 1] = p.before
    return "\n".join(lines)


def summary_disagrees(imp: dict, originals: list[dict]) -> list[str]:
    """Where import's own summary contradicts the data comparison: its objects are the input's,
    its field counts add up, and it says it carried everything exactly when the comparison
    finds nothing lost or missing beyond what it names as not carried (a `helm test` hook)."""
    s = imp.get("summary")
    if s is None:
        return ["no summary line"]
    out = []
    if s["objects"] != len(originals):
        out.append(f"objects {s['objects']} != {len(originals)} read")
    if s["native"] + s["patched"] + s["extra"] + s["not_carried"] != s["fields"]:
        out.append("field counts do not add up")
    hooks = sum(compare._helm_test(o) for o in originals)
    dropped = imp.get("lost", 0) + imp.get("changed", 0) + len(imp.get("missing", []))
    if (s["not_carried"] == 0) != (hooks == 0 and dropped == 0):
        out.append(f"{s['not_carried']} not carried, but the comparison finds {dropped} "
                   f"lost/changed/missing and {hooks} test hook(s)")
    return out


def counted(r: dict) -> list[dict]:
    """The plants that are drifts: those not set aside (inert, or judged by hand)."""
    return [p for p in r.get("plants", []) if not p.get("set_aside")]


def totals(results: list[dict]) -> dict:
    t = {"repositories": len(results), "import_builds": 0, "import_runs": 0, "lost": 0,
         "changed": 0, "missing_objects": 0, "clean_false": 0, "clean_true": 0,
         "repos_zero_false": 0, "scanned": 0, "plants": 0, "found": 0}
    for r in results:
        imp = r.get("import")
        if imp:
            t["import_runs"] += 1
            t["import_builds"] += bool(imp.get("builds"))
            t["lost"] += imp.get("lost", 0)
            t["changed"] += imp.get("changed", 0)
            t["missing_objects"] += len(imp.get("missing", []))
        if imp and "summary_disagrees" in imp:
            t["summary_checked"] = t.get("summary_checked", 0) + 1
            t["summary_agrees"] = t.get("summary_agrees", 0) + (not imp["summary_disagrees"])
        if "clean" in r:
            t["scanned"] += 1
            t["clean_false"] += len(r["clean"]["false"])
            t["clean_true"] += len(r["clean"]["true"])
            t["repos_zero_false"] += not r["clean"]["false"]
        t["plants"] += len(counted(r))
        t["found"] += sum(p["found"] for p in counted(r))
        t["plants_all"] = t.get("plants_all", 0) + len(r.get("plants", []))
        t["found_all"] = t.get("found_all", 0) + sum(p["found"] for p in r.get("plants", []))
        t["set_aside"] = t.get("set_aside", 0) + len(r.get("plants", [])) - len(counted(r))
        t["inert"] = t.get("inert", 0) + sum("helm template" in (p.get("set_aside") or "")
                                             for p in r.get("plants", []))
    return t


def row(r: dict) -> str:
    imp = r.get("import") or {}
    if "error" in r and not imp:
        return (f"| {r['name']} | `{r['commit'][:10]}` | {', '.join(r['languages'])} | – | {r['style']} "
                f"| {r['error'][:60]} | – | – | – | – | {r.get('seconds', '–')} |")
    builds = "yes" if imp.get("builds") else ("no (repaired: " + str(imp.get("commented")) + " nodes)" if imp.get("repaired") else "no")
    lossy = (f"{imp.get('lost', 0)} lost, {imp.get('changed', 0)} changed, "
             f"{len(imp.get('missing', []))} objects missing") if "lost" in imp else "–"
    clean = r.get("clean")
    cl = f"{len(clean['true'])} / {len(clean['false'])}" if clean else "–"
    ps = counted(r)
    aside = len(r.get("plants") or []) - len(ps)
    pl = (f"{sum(p['found'] for p in ps)} / {len(ps)}" + (f" (+{aside} set aside)" if aside else "")) if clean else "–"
    return (f"| {r['name']} | `{r['commit'][:10]}` | {', '.join(r['languages'])} | {r.get('services', imp.get('services', '–'))} "
            f"| {r['style']} | {builds} | {lossy} | {cl} | {pl} | {r.get('seconds', '–')} |")


def write_markdown(results: list[dict], repos: list[dict], path: Path) -> None:
    t = totals(results)
    lines = [
        "# Ecosystem check",
        "",
        "maestroc against public repositories it was not written for, each pinned to a commit",
        "(`ecosystem/repos.toml`). Made by `bash scripts/ecosystem`; the same run writes",
        "`ecosystem/results.json`, which `--compare` reads. Nothing of these repositories is",
        "committed: only the list, the commits and these results.",
        "",
        "Columns: **import builds** — `import` of the rendered manifests, then `build` (when it does",
        "not, the harness comments out each node an error points at until it does, to measure the",
        "rest); **round trip** — leaves of the original objects (after Kubernetes' defaulting,",
        "Secret values apart) that the rebuilt objects lack (*lost*) or say differently",
        "(*changed*), and original objects with no rebuilt counterpart; **clean tree** — errors of",
        "`check --scan` on the unedited repository, true drifts / false alarms; **plants** — single",
        "edits generated from the repository (plants.py) found at their file and line / planted;",
        "plants that are no drift are set aside and listed with why (an edit that changes nothing",
        "the charts render, measured; or judged by hand in repos.toml's `not_drift`).",
        "",
        "| repository | commit | languages | services | manifests | import builds | round trip | clean tree (true / false) | plants | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [row(r) for r in results]
    zero = t["repos_zero_false"] / max(t["scanned"], 1)
    lines += [
        "",
        "## Totals",
        "",
        f"- repositories: {t['repositories']}; import ran on {t['import_runs']}, built unrepaired on "
        f"**{t['import_builds']}** ({100 * t['import_builds'] / max(t['import_runs'], 1):.0f}%; goal 100%)",
        f"- round trip: **{t['lost']}** fields lost, **{t['changed']}** changed, "
        f"{t['missing_objects']} objects missing (goal 0); import's own summary agrees with the "
        f"comparison on {t.get('summary_agrees', 0)} of {t.get('summary_checked', 0)}",
        f"- clean trees scanned: {t['scanned']}; false errors **{t['clean_false']}** "
        f"({t['clean_false'] / max(t['scanned'], 1):.2f} per repository; goal ≤ 0.2), "
        f"0 on {t['repos_zero_false']} ({100 * zero:.0f}%; goal ≥ 80%); true drifts {t['clean_true']}",
        f"- planted drifts found: **{t['found']} / {t['plants']}** "
        f"({100 * t['found'] / max(t['plants'], 1):.0f}%; goal ≥ 95%); set aside as no drift: "
        f"{t.get('set_aside', 0)} ({t.get('inert', 0)} render nothing different, "
        f"{t.get('set_aside', 0) - t.get('inert', 0)} judged by hand); all plants, set-aside "
        f"ones included: {t.get('found_all', 0)} / {t.get('plants_all', 0)}",
        "",
        "## True drifts on clean trees (judged by hand)",
        "",
    ]
    any_true = False
    for repo in repos:
        by_why: dict = {}
        for d in repo.get("true_drift") or []:
            by_why.setdefault(d["why"], []).append(f"`{d['file']}:{d['line']}` ({d.get('code', '')})")
        for why, places in by_why.items():
            any_true = True
            lines.append(f"- **{repo['name']}** — {why}: {', '.join(places)}")
    if not any_true:
        lines.append("- none judged yet")
    lines += ["", "## Per repository: what was lost, false alarms, missed plants", ""]
    for r in results:
        imp = r.get("import") or {}
        lines.append(f"### {r['name']} ({r['repo']})")
        lines.append("")
        if r.get("error"):
            lines.append(f"- {r['error']}")
        if imp.get("build_errors"):
            lines.append(f"- build errors of the imported spec: {', '.join(imp['build_errors'][:12])}")
        if imp.get("missing"):
            lines.append(f"- objects not rebuilt: {', '.join(imp['missing'][:12])}{' …' if len(imp['missing']) > 12 else ''}")
        for d in imp.get("summary_disagrees", []):
            lines.append(f"- import's summary disagrees: {d}")
        for e in imp.get("examples", [])[:8]:
            lines.append(f"- lost: `{e}`")
        for f in (r.get("clean") or {}).get("false", [])[:8]:
            lines.append(f"- false alarm: {f}")
        for p in r.get("plants", []):
            if p.get("set_aside"):
                found = "found anyway" if p["found"] else "not found"
                lines.append(f"- set aside: {p['plant']} — {p['set_aside']} ({found})")
            elif not p["found"]:
                lines.append(f"- missed plant: {p['plant']}")
        lines.append("")
    path.write_text("\n".join(lines))


def print_compare(prev: dict, now: dict) -> None:
    before = {r["name"]: r for r in prev["results"]}
    print("\nchanges since the previous run:")
    for key, b, a in (("import builds", prev["totals"]["import_builds"], now["totals"]["import_builds"]),
                      ("fields lost", prev["totals"]["lost"], now["totals"]["lost"]),
                      ("fields changed", prev["totals"]["changed"], now["totals"]["changed"]),
                      ("false errors", prev["totals"]["clean_false"], now["totals"]["clean_false"]),
                      ("plants found", prev["totals"]["found"], now["totals"]["found"]),
                      ("plants", prev["totals"]["plants"], now["totals"]["plants"])):
        if a != b:
            print(f"  {key}: {b} -> {a}")
    for r in now["results"]:
        p = before.get(r["name"])
        if not p:
            print(f"  {r['name']}: new")
            continue
        for label, f in (("false", lambda x: set((x.get("clean") or {}).get("false", []))),
                         ("missed", lambda x: {q["plant"] for q in counted(x) if not q["found"]}),
                         ("set aside", lambda x: {q["plant"] for q in x.get("plants", []) if q.get("set_aside")})):
            gone, new = f(p) - f(r), f(r) - f(p)
            for g in sorted(gone):
                print(f"  {r['name']}: fixed {label}: {g}")
            for n in sorted(new):
                print(f"  {r['name']}: new {label}: {n}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--compare")
    ap.add_argument("--bin", default=str(PROJECT / "target" / "release" / "maestroc"))
    ap.add_argument("--out", default=str(HERE / "results.json"))
    a = ap.parse_args()
    mirrors = Path(os.environ.get("MAESTROC_ECOSYSTEM_MIRRORS", "/work/.mirror"))
    cache = Path(os.environ.get("MAESTROC_ECOSYSTEM_CACHE", PROJECT / ".ecosystem"))
    tools = {"helm": shutil.which("helm") or str(PROJECT / ".tools/bin/helm"),
             "kubectl": shutil.which("kubectl") or str(PROJECT / ".tools/bin/kubectl")}
    repos = tomllib.loads((HERE / "repos.toml").read_text())["repo"]
    missing = [r["repo"] for r in repos if checkout.mirror_dir(mirrors, r["repo"]) is None]
    if missing:
        print(f"mirrors missing under {mirrors} (bring them with the search tool's fetch):")
        for m in sorted(set(missing)):
            print(f"  {m}")
    chosen = [r for r in repos if not a.only or r["name"] in a.only]
    results = []
    for repo in chosen:
        print(f"== {repo['name']}", flush=True)
        try:
            r = one(repo, cache, mirrors, a.bin, tools)
        except Exception as e:  # a harness failure on one repository must not hide the rest
            r = {"name": repo["name"], "repo": repo["repo"], "commit": repo["commit"],
                 "languages": repo.get("languages", []), "style": repo["style"],
                 "error": f"harness: {type(e).__name__}: {e}"[:300]}
        print("   " + row(r), flush=True)
        results.append(r)
    if a.only:
        # A partial run updates its repositories inside the previous full results.
        prev = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() else {"results": []}
        merged = {r["name"]: r for r in prev["results"]}
        merged.update({r["name"]: r for r in results})
        results = [merged[r["name"]] for r in repos if r["name"] in merged]
    now = {"totals": totals(results), "results": results}
    if a.compare:
        print_compare(json.loads(Path(a.compare).read_text()), now)
    Path(a.out).write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    write_markdown(results, repos, PROJECT / "ECOSYSTEM.md")
    t = now["totals"]
    print(f"\ntotals: import builds {t['import_builds']}/{t['import_runs']}, lost {t['lost']}, "
          f"changed {t['changed']}, missing objects {t['missing_objects']}, false errors "
          f"{t['clean_false']} over {t['scanned']} trees ({t['repos_zero_false']} with none), "
          f"plants found {t['found']}/{t['plants']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
