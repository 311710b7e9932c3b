"""The dependency set resolves to what the code relies on (guards known resolver traps)."""

from __future__ import annotations

from importlib.metadata import version


def _major_minor(v: str) -> tuple[int, int]:
    major, minor = v.split(".")[:2]
    return int(major), int(minor)


def test_boto3_is_modern_not_backtracked() -> None:
    # kubernetes 37 + botocore's dateutil cap once made pip fall back to boto3 0.0.3.
    import boto3

    assert _major_minor(boto3.__version__) >= (1, 35)


def test_kubernetes_is_pinned_below_37() -> None:
    assert 36 <= _major_minor(version("kubernetes"))[0] < 37


def test_python_hcl2_gives_block_line_numbers() -> None:
    import hcl2.api

    assert _major_minor(version("python-hcl2"))[0] == 7
    doc = hcl2.api.loads(
        '\n\nresource "aws_vpc" "a" {\n  cidr_block = "10.0.0.0/16"\n}\n', with_meta=True
    )
    body = doc["resource"][0]["aws_vpc"]["a"]
    assert (body["__start_line__"], body["__end_line__"]) == (3, 5)
    assert body["cidr_block"] == "10.0.0.0/16"  # quotes stripped
