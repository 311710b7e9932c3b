"""Benchmark cold and warm scans of generated Terraform repositories.

    python bench/bench_scan.py [--sizes 1000,5000,20000]

Each repository is made of copies of fixtures/shop (81 resources each, every copy's
content made unique so the parse cache cannot share entries). Each measurement runs in a
fresh process: cold = empty parse cache, warm = the same repository again. Prints files/s,
resources/s and peak memory (RSS of the scan process and of its parse workers).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "fixtures" / "shop"
_RESOURCE = re.compile(r'^resource\s+"', re.M)

_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from scanner.pipeline import scan
start = time.perf_counter()
result = scan(Path(sys.argv[1]))
took = time.perf_counter() - start
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": took, "self_mb": self_kb / 1024, "worker_mb": child_kb / 1024,
                  "elements": len(result.graph.elements), "findings": len(result.findings)}))
"""


def generate(root: Path, resources: int) -> tuple[int, int, int]:
    """Write copies of the shop until `resources` resources; returns files, resources, bytes."""
    per_copy = sum(len(_RESOURCE.findall(p.read_text())) for p in SHOP.glob("*.tf"))
    files = count = size = 0
    for i in range(max(1, round(resources / per_copy))):
        target = root / f"stack{i:04d}"
        shutil.copytree(SHOP, target)
        for tf in target.glob("*.tf"):
            text = f"# stack {i}\n" + tf.read_text()
            tf.write_text(text.replace("shop.example.com", f"shop{i}.example.com"))
            files += 1
            count += len(_RESOURCE.findall(text))
            size += len(text.encode())
        for spec in target.glob("specs/*.yaml"):  # each stack serves its own domain
            spec.write_text(spec.read_text().replace("shop.example.com", f"shop{i}.example.com"))
    return files, count, size


def measure(root: Path, cache: Path) -> dict[str, float]:
    env = {"TMSCAN_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(root)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=REPO,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    args = parser.parse_args()
    print(
        "| resources | files | MB | scan | seconds | files/s | resources/s "
        "| peak MB (scan + workers) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root, cache = Path(tmp) / "repo", Path(tmp) / "cache"
            files, resources, nbytes = generate(root, size)
            for label in ("cold", "warm"):
                m = measure(root, cache)
                print(
                    f"| {resources} | {files} | {nbytes / 1e6:.1f} | {label} | {m['seconds']:.2f} "
                    f"| {files / m['seconds']:.0f} | {resources / m['seconds']:.0f} "
                    f"| {m['self_mb']:.0f} + {m['worker_mb']:.0f} |"
                )


if __name__ == "__main__":
    main()
