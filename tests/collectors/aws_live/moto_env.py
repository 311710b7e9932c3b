"""A moto server on 127.0.0.1 (server mode: boto3 talks HTTP to it) and sessions for it.

`setup_client` builds state with an unguarded session (the test plays the account's
owner); `scan_api` gives the scanner's guarded `Api` for one service.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from collectors.aws_live.api import Api, Ledger, Where
from collectors.aws_live.readonly import guard

ACCOUNT = "123456789012"  # moto's default account
RECORDED = Path(__file__).parent / "recorded"


class MotoServer:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        self.server.stop()


# Credentials and settings of a developer's machine that must not leak into a test.
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN")


def environment(url: str, region: str = "eu-west-1") -> dict[str, str]:
    """The environment of a scan against the moto server at `url`: fake credentials, no
    profile files, no instance metadata, no proxy for loopback."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/nonexistent/tmscan-test-aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/tmscan-test-aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1",
    }


@contextmanager
def recording(region: str = "eu-west-1", **extra: str) -> Iterator[MotoServer]:
    """A fresh moto server and its environment, for the `__main__` blocks that record a
    module's responses (python -m tests.collectors.aws_live.test_<module>)."""
    server = MotoServer()
    for name in UNSET:
        os.environ.pop(name, None)
    os.environ.update(environment(server.url, region), **extra)
    try:
        server.reset()
        yield server
    finally:
        server.stop()


def setup_client(service: str, region: str = "eu-west-1") -> Any:
    """A client of the test's own (writing) session: builds the account's state."""
    return boto3.session.Session(region_name=region).client(
        service, config=Config(s3={"addressing_style": "path"})
    )


def scan_api(service: str, region: str = "eu-west-1", ledger: Ledger | None = None) -> Api:
    """The scanner's read-only Api for one service in moto's account."""
    session = boto3.session.Session(region_name=region)
    guard(session._session)
    client = session.client(service, config=Config(s3={"addressing_style": "path"}))
    return Api(client, Where(ACCOUNT, region), ledger or Ledger())


def record(name: str, raw: dict[str, Any]) -> None:
    """Save a module's raw responses as the recorded fixture its transform tests read."""
    path = RECORDED / f"{name}.json"
    path.write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return data
