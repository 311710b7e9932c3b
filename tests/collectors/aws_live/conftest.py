"""Live AWS tests: one moto server per session on 127.0.0.1, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .moto_env import UNSET, MotoServer, environment


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """An empty account behind AWS_ENDPOINT_URL, with fake credentials and no profile."""
    moto_server.reset()
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment(moto_server.url).items():
        monkeypatch.setenv(name, value)
    return moto_server


@pytest.fixture(scope="module")
def shop(moto_server: MotoServer) -> Iterator[dict[str, str]]:
    """The shop's account (account.py), built once per test module in a reset server:
    {Terraform address: id or ARN}."""
    from .account import build_account

    with pytest.MonkeyPatch.context() as env:
        for name in UNSET:
            env.delenv(name, raising=False)
        for name, value in environment(moto_server.url).items():
            env.setenv(name, value)
        moto_server.reset()
        yield build_account()
