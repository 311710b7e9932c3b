"""Benchmark: cold and warm scans of a large Terraform tree (copies of fixtures/shop).

    python bench/bench_scan.py [--copies 140] [--workers N]

Cold = empty parse cache; warm = second run on the same content. Prints seconds and MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_tree(root: Path, copies: int) -> int:
    size = 0
    for i in range(copies):
        target = root / f"stack{i:03d}"
        shutil.copytree(REPO / "fixtures" / "shop", target)
        for tf in target.glob("*.tf"):
            # Make every copy's content unique so the cache cannot share entries.
            tf.write_text(f"# stack {i}\n" + tf.read_text())
            size += tf.stat().st_size
    return size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=140)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp) / "tree", Path(tmp) / "cache"
        size = build_tree(root, args.copies)
        os.environ["TMSCAN_CACHE_DIR"] = str(cache)
        from scanner.pipeline import scan

        for label in ("cold", "warm"):
            start = time.perf_counter()
            result = scan(root)
            took = time.perf_counter() - start
            print(
                f"{label}: {took:6.2f} s  {size / 1e6:.1f} MB .tf  "
                f"{len(result.graph.elements)} elements  {len(result.findings)} findings"
            )


if __name__ == "__main__":
    main()
