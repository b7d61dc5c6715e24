"""Kubernetes objects compared as data, after the API server's own defaulting.

`lost(original, rebuilt)` answers the import round trip's question — does the rebuilt object
still say everything the original said? — as a list of (path, want, got) for every leaf of the
original that the rebuilt object lacks or says differently. Leaves the rebuilt object adds
(maestroc's hardening, its labels, the `service-ports` wiring) are counted apart by `added`.

Both sides are defaulted first, as the API server would (`default`): a Service port's
`protocol: TCP`, a probe's `periodSeconds: 10`, a Deployment's rolling update of 25%, … — so
writing a default out, or leaving it implicit, is no difference. Lists whose items carry a
name (containers, env, volumes, ports) are matched by that name, not by position; lists of
scalars as sets. Quantities compare by value (`0.5` = `500m`, `1Gi` = `1024Mi`).
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

# Fields the API server fills in or that describe an object's life rather than its intent.
SERVER_FIELDS = {"status", "creationTimestamp", "resourceVersion", "uid", "generation",
                 "managedFields", "selfLink"}

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": 1,
           "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def quantity(v):
    """A Kubernetes quantity's value, or None when `v` is none."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    if not isinstance(v, str):
        return None
    for suf in sorted(_SUFFIX, key=len, reverse=True):
        if suf and v.endswith(suf):
            num = v[: -len(suf)]
            break
    else:
        suf, num = "", v
    try:
        return Decimal(num) * Decimal(_SUFFIX[suf])
    except (InvalidOperation, ValueError):
        return None


def _set(d, key, value):
    if isinstance(d, dict) and d.get(key) is None:
        d[key] = value


def _probe(p):
    if not isinstance(p, dict):
        return
    for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                 ("failureThreshold", 3), ("initialDelaySeconds", 0)):
        _set(p, k, v)
    if isinstance(p.get("httpGet"), dict):
        _set(p["httpGet"], "scheme", "HTTP")
        _set(p["httpGet"], "path", "/")
    if isinstance(p.get("grpc"), dict):
        _set(p["grpc"], "service", "")


def _container(c):
    if not isinstance(c, dict):
        return
    image = str(c.get("image", ""))
    tag = image.rsplit("/", 1)[-1]
    latest = "@" not in image and (":" not in tag or tag.endswith(":latest"))
    _set(c, "imagePullPolicy", "Always" if latest else "IfNotPresent")
    _set(c, "terminationMessagePath", "/dev/termination-log")
    _set(c, "terminationMessagePolicy", "File")
    for p in c.get("ports") or []:
        _set(p, "protocol", "TCP")
    for e in c.get("env") or []:
        vf = e.get("valueFrom") if isinstance(e, dict) else None
        if isinstance(vf, dict) and isinstance(vf.get("fieldRef"), dict):
            _set(vf["fieldRef"], "apiVersion", "v1")
    for k in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(k))
    if isinstance(c.get("resources"), dict):
        r = c["resources"]
        # A missing request defaults to the limit.
        lim = r.get("limits") or {}
        req = r.setdefault("requests", {}) if lim else r.get("requests")
        for k, v in lim.items():
            _set(req, k, v)
        if r.get("requests") == {}:
            del r["requests"]


def _pod(spec):
    if not isinstance(spec, dict):
        return
    for k, v in (("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30),
                 ("dnsPolicy", "ClusterFirst"), ("schedulerName", "default-scheduler"),
                 ("securityContext", {})):
        _set(spec, k, v)
    for c in spec.get("containers") or []:
        _container(c)
    for c in spec.get("initContainers") or []:
        _container(c)
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        for src in ("secret", "configMap"):
            if isinstance(v.get(src), dict):
                _set(v[src], "defaultMode", 420)
    # serviceAccount is the deprecated alias of serviceAccountName.
    if "serviceAccount" in spec and "serviceAccountName" not in spec:
        spec["serviceAccountName"] = spec["serviceAccount"]
    spec.pop("serviceAccount", None)


def default(obj):
    """A copy of `obj` with the API server's defaults filled in and its own fields dropped."""
    o = copy.deepcopy(obj)
    if not isinstance(o, dict):
        return o
    o.pop("status", None)
    meta = o.get("metadata") or {}
    for k in SERVER_FIELDS:
        meta.pop(k, None)
    ann = meta.get("annotations") or {}
    ann.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if not ann:
        meta.pop("annotations", None)
    kind = o.get("kind")
    spec = o.get("spec")
    if not isinstance(spec, dict):
        return o
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"):
        if kind != "DaemonSet":
            _set(spec, "replicas", 1)
        _set(spec, "revisionHistoryLimit", 10)
        if kind == "Deployment":
            _set(spec, "progressDeadlineSeconds", 600)
            _set(spec, "strategy", {})
            _set(spec["strategy"], "type", "RollingUpdate")
            if spec["strategy"].get("type") == "RollingUpdate":
                ru = spec["strategy"].setdefault("rollingUpdate", {})
                _set(ru, "maxSurge", "25%")
                _set(ru, "maxUnavailable", "25%")
        if kind == "StatefulSet":
            _set(spec, "podManagementPolicy", "OrderedReady")
            _set(spec, "updateStrategy", {})
            _set(spec["updateStrategy"], "type", "RollingUpdate")
            if spec["updateStrategy"].get("type") == "RollingUpdate":
                _set(spec["updateStrategy"], "rollingUpdate", {})
                _set(spec["updateStrategy"]["rollingUpdate"], "partition", 0)
            for t in spec.get("volumeClaimTemplates") or []:
                ts = t.get("spec") or {}
                _set(ts, "volumeMode", "Filesystem")
                t.setdefault("apiVersion", "v1")
                t.setdefault("kind", "PersistentVolumeClaim")
        if kind == "DaemonSet":
            _set(spec, "updateStrategy", {})
            _set(spec["updateStrategy"], "type", "RollingUpdate")
            if spec["updateStrategy"].get("type") == "RollingUpdate":
                _set(spec["updateStrategy"], "rollingUpdate", {})
                _set(spec["updateStrategy"]["rollingUpdate"], "maxSurge", 0)
                _set(spec["updateStrategy"]["rollingUpdate"], "maxUnavailable", 1)
        _pod((spec.get("template") or {}).get("spec"))
    elif kind in ("Job",):
        _set(spec, "backoffLimit", 6)
        _set(spec, "completions", 1)
        _set(spec, "parallelism", 1)
        _pod((spec.get("template") or {}).get("spec"))
    elif kind == "CronJob":
        _set(spec, "concurrencyPolicy", "Allow")
        _set(spec, "suspend", False)
        _set(spec, "successfulJobsHistoryLimit", 3)
        _set(spec, "failedJobsHistoryLimit", 1)
        job = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        _set(job, "backoffLimit", 6)
        _pod((job.get("template") or {}).get("spec"))
    elif kind == "Pod":
        _pod(spec)
    elif kind == "Service":
        _set(spec, "type", "ClusterIP")
        _set(spec, "sessionAffinity", "None")
        for p in spec.get("ports") or []:
            _set(p, "protocol", "TCP")
            _set(p, "targetPort", p.get("port"))
        if spec["type"] in ("NodePort", "LoadBalancer"):
            _set(spec, "externalTrafficPolicy", "Cluster")
    elif kind == "PersistentVolumeClaim":
        _set(spec, "volumeMode", "Filesystem")
    return o


# Keys by which the items of a list are matched, tried in order: the first key every item of
# the list carries wins.
_ITEM_KEYS = ("mountPath", "name", "containerPort", "port", "key", "ip", "topologyKey")


def _item_key(items):
    for k in _ITEM_KEYS:
        if items and all(isinstance(i, dict) and k in i for i in items):
            return k
    return None


def _same_scalar(a, b) -> bool:
    if a == b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    # "8080" and 8080 are the same port; quantities compare by value.
    if str(a) == str(b):
        return True
    qa, qb = quantity(a), quantity(b)
    return qa is not None and qa == qb


def lost(want, got, path="") -> list[tuple[str, object, object]]:
    """Every leaf of `want` that `got` lacks or says differently, as (path, want, got)."""
    out: list[tuple[str, object, object]] = []
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [(path or ".", want, got)] if want != {} else []
        for k, v in want.items():
            if k not in got:
                if v in ({}, [], None):
                    continue
                out.extend(_leaves(v, f"{path}.{k}", present=False))
            else:
                out.extend(lost(v, got[k], f"{path}.{k}"))
        return out
    if isinstance(want, list):
        if not isinstance(got, list):
            return [(path, want, got)] if want else []
        key = _item_key(want)
        if key and _item_key(got) == key:
            by = {i[key]: i for i in got}
            for i in want:
                p = f"{path}[{key}={i[key]}]"
                if i[key] in by:
                    out.extend(lost(i, by[i[key]], p))
                else:
                    out.extend(_leaves(i, p, present=False))
            return out
        if all(not isinstance(i, (dict, list)) for i in want):
            return [(f"{path}[]", i, None) for i in want
                    if not any(_same_scalar(i, g) for g in got)]
        for n, i in enumerate(want):
            out.extend(lost(i, got[n] if n < len(got) else None, f"{path}[{n}]"))
        return out
    if not _same_scalar(want, got):
        out.append((path, want, got))
    return out


def _leaves(v, path, present):
    if isinstance(v, dict):
        if not v:
            return [(path, v, None)]
        return [x for k, i in v.items() for x in _leaves(i, f"{path}.{k}", present)]
    if isinstance(v, list):
        if not v:
            return [(path, v, None)]
        return [x for n, i in enumerate(v) for x in _leaves(i, f"{path}[{n}]", present)]
    return [(path, v, None)]


def added(want, got) -> int:
    """How many leaves `got` has that `want` does not (maestroc's additions)."""
    return len(lost(got, want))


def key(obj) -> tuple[str, str]:
    return (str(obj.get("kind")), str((obj.get("metadata") or {}).get("name")))


def resolve_ports(objs: list[dict]) -> list[dict]:
    """The rebuilt objects as they run: an env entry reading a `service-ports` key becomes
    that key's value and `$(KEY)` in a value is expanded, as the kubelet does — so a literal
    `cart:7070` in the original and the spec's `{CART_ADDRESS}` are the same."""
    data = {}
    for o in objs:
        if o.get("kind") == "ConfigMap" and (o.get("metadata") or {}).get("name") == "service-ports":
            data = o.get("data") or {}

    def walk(v):
        if isinstance(v, dict):
            ref = ((v.get("valueFrom") or {}).get("configMapKeyRef") or {}) if isinstance(v.get("valueFrom"), dict) else {}
            if "name" in v and ref.get("name") == "service-ports" and ref.get("key") in data:
                return {**{k: x for k, x in v.items() if k != "valueFrom"}, "value": data[ref["key"]]}
            if "name" in v and isinstance(v.get("value"), str) and "$(" in v["value"]:
                val = v["value"]
                for k, x in data.items():
                    val = val.replace(f"$({k})", str(x))
                return {**v, "value": val}
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    return [walk(o) for o in objs]


def without_secret_values(objs: list[dict]) -> tuple[list[dict], int]:
    """Secrets' values never enter a spec, by design: they are counted apart."""
    out, n = [], 0
    for o in objs:
        if o.get("kind") == "Secret":
            n += len(o.get("data") or {}) + len(o.get("stringData") or {})
            o = {k: v for k, v in o.items() if k not in ("data", "stringData")}
        out.append(o)
    return out, n


def _moved_to_secrets(originals: list[dict], rebuilt: list[dict]) -> int:
    """A literal env value the rebuilt object reads from a Secret instead (import declares
    credentials as secrets): by design, counted apart, its value dropped from the original."""
    refs = set()
    for o in rebuilt:
        for c in _containers(o):
            for e in c.get("env") or []:
                if isinstance(e, dict) and ((e.get("valueFrom") or {}).get("secretKeyRef")):
                    refs.add((o.get("kind"), (o.get("metadata") or {}).get("name"), c.get("name"), e.get("name")))
    n = 0
    for o in originals:
        for c in _containers(o):
            for e in c.get("env") or []:
                key = (o.get("kind"), (o.get("metadata") or {}).get("name"), c.get("name"), e.get("name"))
                if isinstance(e, dict) and "value" in e and key in refs:
                    del e["value"]
                    n += 1
    # A credential in a ConfigMap a container reads whole (`envFrom`): the rebuilt container
    # reads that variable from a Secret instead, and the ConfigMap no longer holds it.
    ident = lambda o, c: (o.get("kind"), (o.get("metadata") or {}).get("name"), c.get("name"))  # noqa: E731
    secret_env = {ident(o, c) + (e.get("name"),)
                  for o in rebuilt for c in _containers(o)
                  for e in c.get("env") or []
                  if isinstance(e, dict) and (e.get("valueFrom") or {}).get("secretKeyRef")}
    by_name = {(o.get("kind"), (o.get("metadata") or {}).get("name")): o for o in rebuilt}
    read_whole = {}
    for o in originals:
        for c in _containers(o):
            for src in c.get("envFrom") or []:
                cm = ((src or {}).get("configMapRef") or {}).get("name")
                if cm:
                    read_whole.setdefault(cm, set()).add(ident(o, c))
    for o in originals:
        if o.get("kind") != "ConfigMap" or not isinstance(o.get("data"), dict):
            continue
        name = (o.get("metadata") or {}).get("name")
        kept = (by_name.get(("ConfigMap", name)) or {}).get("data") or {}
        for k in list(o["data"]):
            readers = read_whole.get(name, set())
            if k not in kept and readers and all(r + (k,) in secret_env for r in readers):
                del o["data"][k]
                n += 1
    return n


def _containers(o: dict) -> list[dict]:
    spec = o.get("spec") or {}
    if o.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    pod = ((spec.get("template") or {}).get("spec")) or {}
    return [c for k in ("containers", "initContainers") for c in pod.get(k) or [] if isinstance(c, dict)]


def _helm_test(o: dict) -> bool:
    hook = ((o.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook") or ""
    return any(h.strip().startswith("test") for h in str(hook).split(","))


def compare(originals: list[dict], rebuilt: list[dict]) -> dict:
    """The round trip's counts: objects missing and extra, fields lost or changed, additions,
    with up to 40 examples of what was lost."""
    # `helm install` never creates a `helm test` hook: not part of what the chart deploys.
    originals = [o for o in copy.deepcopy(originals) if not _helm_test(o)]
    originals, secret_values = without_secret_values(originals)
    rebuilt = resolve_ports(rebuilt)
    secret_values += _moved_to_secrets(originals, rebuilt)
    got = {}
    for o in rebuilt:
        got.setdefault(key(o), o)
    seen = set()
    missing, fields_lost, fields_changed, additions = [], 0, 0, 0
    examples = []
    for o in originals:
        k = key(o)
        if k in seen:
            continue
        seen.add(k)
        want = default(o)
        if k not in got:
            n = len(_leaves(want, "", False))
            missing.append(f"{k[0]}/{k[1]}")
            fields_lost += n
            continue
        have = default(got[k])
        # The namespace an object lands in is the spec's; an original without one is
        # namespace-agnostic, so only a stated namespace counts.
        diffs = lost(want, have)
        for p, w, g in diffs:
            if g is None:
                fields_lost += 1
            else:
                fields_changed += 1
            if len(examples) < 40:
                examples.append(f"{k[0]}/{k[1]} {p}: {_short(w)} -> {_short(g)}")
        additions += added(want, have)
    extra = sorted(f"{k[0]}/{k[1]}" for k in got if k not in seen)
    return {"objects": len(seen), "missing": missing, "extra": extra, "lost": fields_lost,
            "changed": fields_changed, "added": additions, "examples": examples,
            "secret_values": secret_values}


def _short(v):
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."
