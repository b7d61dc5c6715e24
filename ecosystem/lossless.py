"""`build(import(M))` ⊇ M, judged as data after Kubernetes' defaulting (compare.py):

    python3 ecosystem/lossless.py OUTPUT_DIR INPUT...

prints the comparison's counts as JSON (lost, changed, missing objects, examples). The import
tests run it on fixtures written here; the ecosystem check runs the same comparison on real
repositories. It is an implementation of the comparison independent of import's own residual
stage (src/import/residual.rs), so neither can agree with itself by construction.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare  # noqa: E402
import render  # noqa: E402


def main() -> int:
    out, inputs = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    files = []
    for p in inputs:
        files += render._yaml_files(p)
    originals = render.load_objects(files)
    rebuilt = render.load_objects(sorted(out.glob("k8s/*/*.yaml")))
    print(json.dumps(compare.compare(originals, rebuilt), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
