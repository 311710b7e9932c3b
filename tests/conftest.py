"""Shared test setup: fixture paths and an isolated parse cache."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "fixtures" / "shop"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files under fixtures/golden from the current output",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Never touch the user's ~/.cache from the suite.
    os.environ["TMSCAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="tmscan-test-cache-")


NETWORK_TF = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  map_public_ip_on_launch = true
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.2.0/24"
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}
"""


@pytest.fixture
def tf_repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a small Terraform repository: network.tf plus the given files."""

    def write(files: dict[str, str], network: bool = True) -> Path:
        if network:
            (tmp_path / "network.tf").write_text(NETWORK_TF)
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tmp_path

    return write
