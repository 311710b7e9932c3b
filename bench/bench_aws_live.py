"""Benchmark the live AWS scan: API calls and wall time, sequential versus concurrent.

    python bench/bench_aws_live.py [--latency-ms 0,50]

Starts moto in server mode on 127.0.0.1, builds the shop's account of
tests/collectors/aws_live/account.py (two regions), then scans it with
--aws-concurrency 1 and 8. moto answers in
about a millisecond; real AWS in tens, so `--latency-ms` adds a delay to every request
(a botocore before-send hook) to show what the concurrency buys against real endpoints.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from collectors.aws_live import session as aws_session  # noqa: E402
from collectors.aws_live.api import Ledger  # noqa: E402
from collectors.aws_live.session import AwsOptions  # noqa: E402
from scanner.pipeline import ScanOptions, scan  # noqa: E402
from tests.collectors.aws_live.account import build_account  # noqa: E402
from tests.collectors.aws_live.moto_env import MotoServer, environment  # noqa: E402

REGIONS = ("eu-west-1", "eu-central-1")


def _with_latency(seconds: float) -> None:
    """Every request of the scanner's sessions waits `seconds` before it is sent."""
    guarded = aws_session._guarded

    def slow(ledger: Ledger, **kwargs: Any) -> Any:
        made = guarded(ledger, **kwargs)

        def wait(**_: Any) -> None:
            time.sleep(seconds)

        made._session.register("before-send", wait)
        return made

    aws_session._guarded = slow  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", default="0,50")
    args = parser.parse_args()
    server = MotoServer()
    os.environ.update(environment(server.url))
    started = time.perf_counter()
    build_account()
    print(f"account built in {time.perf_counter() - started:.1f} s")
    plain = aws_session._guarded
    for latency in (int(x) for x in args.latency_ms.split(",")):
        aws_session._guarded = plain  # type: ignore[assignment]
        if latency:
            _with_latency(latency / 1000)
        for concurrency in (1, 8):
            options = AwsOptions(regions=REGIONS, concurrency=concurrency)
            started = time.perf_counter()
            result = scan(None, options=ScanOptions(aws=options, use_cache=False))
            wall = time.perf_counter() - started
            calls = next(d.message for d in result.diagnostics if "API calls" in d.message)
            print(
                f"latency {latency:>3} ms  concurrency {concurrency}:  {wall:6.2f} s  "
                f"{calls.split(';')[0]}, {len(result.findings)} findings"
            )
    server.stop()


if __name__ == "__main__":
    main()
