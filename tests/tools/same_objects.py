"""Compares two sets of Kubernetes objects as data: the YAML files of a directory (maestroc's
plain output) and a multi-document stream (helm template's). Same kinds, names, namespaces and
identical contents, order of documents ignored. Prints every difference; exit 1 on any."""
import glob
import os
import sys

import yaml


def load(paths):
    objs = {}
    for path in paths:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                meta = doc.get("metadata", {})
                key = (doc.get("apiVersion"), doc.get("kind"), meta.get("namespace"), meta.get("name"))
                if key in objs:
                    print(f"duplicate object {key} in {path}")
                    sys.exit(1)
                objs[key] = doc
    return objs


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in helm: {b[k]!r}")
            elif k not in b:
                out.append(f"{path}.{k}: only in k8s: {a[k]!r}")
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: k8s {a!r} != helm {b!r}")


plain = load(sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml"))))
helm = load([sys.argv[2]])
problems = []
for key in sorted(set(plain) | set(helm), key=str):
    if key not in helm:
        problems.append(f"{key}: missing from helm template")
    elif key not in plain:
        problems.append(f"{key}: only in helm template")
    else:
        diff(plain[key], helm[key], str(key[1:]), problems)
for p in problems:
    print(p)
print(f"{len(plain)} objects in k8s, {len(helm)} from helm, {len(problems)} differences")
sys.exit(1 if problems else 0)
