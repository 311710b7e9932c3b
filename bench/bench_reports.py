"""Benchmark every report format on generated large systems.

    python bench/bench_reports.py [--resources 5000] [--workloads 1000]

Scans (1) copies of fixtures/shop up to about `--resources` Terraform resources and (2)
`--workloads` Kubernetes Deployments with Services in 10 namespaces, each calling the
next by env var; then renders each format once and prints its time and size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from bench_scan import generate  # noqa: E402

from scanner.pipeline import ScanOptions, scan  # noqa: E402
from scanner.reporters import FORMATS, render  # noqa: E402

_WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: svc{i}, namespace: ns{ns}}}
spec:
  selector: {{matchLabels: {{app: svc{i}}}}}
  template:
    metadata: {{labels: {{app: svc{i}}}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/svc{i}:1.0
          env: [{{name: NEXT_URL, value: "http://svc{nxt}.ns{ns}.svc.cluster.local:8080"}}]
          ports: [{{containerPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}, namespace: ns{ns}}}
spec:
  selector: {{app: svc{i}}}
  ports: [{{port: 8080, targetPort: 8080}}]
"""


def k8s_system(root: Path, workloads: int) -> None:
    per_ns = max(1, workloads // 10)
    for i in range(workloads):
        ns = i // per_ns
        nxt = i + 1 if (i + 1) // per_ns == ns else ns * per_ns
        (root / f"svc{i:05d}.yaml").write_text(_WORKLOAD.format(i=i, ns=ns, nxt=nxt))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--workloads", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tf, k8s = Path(tmp) / "tf", Path(tmp) / "k8s"
        k8s.mkdir()
        generate(tf, args.resources)
        k8s_system(k8s, args.workloads)
        for label, root in (("terraform", tf), ("kubernetes", k8s)):
            result = scan(root, options=ScanOptions(use_cache=False))
            g = result.graph
            print(
                f"\n{label}: {len(g.elements)} elements, {len(g.flows)} flows, "
                f"{len(g.boundaries)} boundaries, {len(result.findings)} findings"
            )
            print("| format | seconds | KB |")
            print("|---|---|---|")
            for name in FORMATS:
                start = time.perf_counter()
                size = len(render(name, result))
                print(f"| {name} | {time.perf_counter() - start:.2f} | {size / 1024:.0f} |")


if __name__ == "__main__":
    main()
