"""Tests for collectors.terraform.parse: line metadata, errors, cache, parallel parsing."""

from __future__ import annotations

import hashlib
import marshal
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.terraform import parse
from collectors.terraform.parse import Parsed, cache_dir, parse_files


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the user's real cache unless it points the cache somewhere."""
    monkeypatch.setenv("TMSCAN_CACHE_DIR", "")


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, "utf-8")
    else:
        path.write_bytes(content)
    return path


NETWORK_TF = """\
variable "cidr" {
  default = "10.0.0.0/16"
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
}

resource "aws_security_group" "web" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    from_port = 80
    to_port   = 80
  }

  dynamic "egress" {
    for_each = var.ports
    content {
      from_port = egress.value
    }
  }
}
"""

GOOD_TF = 'resource "aws_vpc" "ok" {\n  cidr_block = "10.1.0.0/16"\n}\n'
GOOD_DOC = {
    "resource": [
        {"aws_vpc": {"ok": {"cidr_block": "10.1.0.0/16", "__start_line__": 1, "__end_line__": 3}}}
    ]
}
# Line 6 has an attribute with no value.
BAD_TF = """\
resource "aws_vpc" "bad" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Name = "bad"
  }
  count =
}
"""


# --- (a) line metadata ---------------------------------------------------------------------


def test_start_lines_of_resource_and_nested_blocks(tmp_path: Path) -> None:
    path = write(tmp_path, "net.tf", NETWORK_TF)
    [result] = parse_files(tmp_path, [path], workers=1)
    assert (result.path, result.rel, result.error, result.error_line) == (
        path,
        "net.tf",
        None,
        None,
    )
    doc = result.document
    assert doc is not None
    assert doc["variable"][0]["cidr"]["__start_line__"] == 1
    vpc = doc["resource"][0]["aws_vpc"]["main"]
    assert (vpc["__start_line__"], vpc["__end_line__"]) == (5, 7)
    sg = doc["resource"][1]["aws_security_group"]["web"]
    assert (sg["__start_line__"], sg["__end_line__"]) == (9, 29)
    assert [(b["from_port"], b["__start_line__"], b["__end_line__"]) for b in sg["ingress"]] == [
        (443, 12, 16),
        (80, 18, 21),
    ]
    dynamic = sg["dynamic"][0]["egress"]
    assert (dynamic["__start_line__"], dynamic["__end_line__"]) == (23, 28)
    content = dynamic["content"][0]
    assert (content["from_port"], content["__start_line__"], content["__end_line__"]) == (
        "${egress.value}",
        25,
        27,
    )


def test_rel_is_posix_path_relative_to_root(tmp_path: Path) -> None:
    path = write(tmp_path, "modules/net/main.tf", GOOD_TF)
    [result] = parse_files(tmp_path, [path], workers=1)
    assert result == Parsed(path, "modules/net/main.tf", GOOD_DOC)


# --- (b), (c) errors -------------------------------------------------------------------------


def test_syntax_error_in_one_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.tf", BAD_TF)
    good = write(tmp_path, "good.tf", GOOD_TF)
    bad_result, good_result = parse_files(tmp_path, [bad, good], workers=1)
    assert bad_result.document is None
    assert bad_result.error is not None
    assert bad_result.error == "HCL syntax error: unexpected STRING_CHARS at column 10"
    assert bad_result.error_line == 6
    assert (bad_result.path, bad_result.rel) == (bad, "bad.tf")
    assert good_result == Parsed(good, "good.tf", GOOD_DOC)


def test_stray_closing_brace_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "extra.tf", GOOD_TF + "}\n")
    [result] = parse_files(tmp_path, [path], workers=1)
    assert result.document is None
    assert result.error is not None
    assert result.error.startswith("HCL syntax error")
    assert result.error_line == 4


def test_duplicate_attribute_is_a_parse_error_naming_the_attribute(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.tf", 'resource "aws_vpc" "a" {\n  x = 1\n  x = 2\n}\n')
    [result] = parse_files(tmp_path, [path], workers=1)
    assert result.document is None
    assert result.error == "HCL parse error: attribute 'x' is defined twice in one block"
    assert result.error_line == 1  # the block holding it


def test_syntax_errors_never_echo_input_values(tmp_path: Path) -> None:
    path = write(tmp_path, "leak.tf", 'resource "a" "b" {\n  password = [1 hunter2secret]\n}\n')
    [result] = parse_files(tmp_path, [path], workers=1)
    assert result.error == "HCL syntax error: unexpected NAME at column 17"
    assert result.error_line == 2


def test_non_utf8_file_gives_a_clear_error(tmp_path: Path) -> None:
    data = b'resource "aws_vpc" "x" {\n  tags = { Name = "caf\xe9" }\n}\n'
    assert data.index(b"\xe9") == 47
    bad = write(tmp_path, "latin1.tf", data)
    good = write(tmp_path, "good.tf", GOOD_TF)
    assert parse_files(tmp_path, [bad, good], workers=1) == [
        Parsed(bad, "latin1.tf", None, "not UTF-8 text (invalid continuation byte at byte 47)"),
        Parsed(good, "good.tf", GOOD_DOC),
    ]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.tf", b"\xef\xbb\xbf" + GOOD_TF.encode())
    [result] = parse_files(tmp_path, [path], workers=1)
    assert result == Parsed(path, "bom.tf", GOOD_DOC)


def test_unreadable_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "gone.tf"
    good = write(tmp_path, "good.tf", GOOD_TF)
    assert parse_files(tmp_path, [missing, good], workers=1) == [
        Parsed(missing, "gone.tf", None, "cannot read file: No such file or directory"),
        Parsed(good, "good.tf", GOOD_DOC),
    ]


# --- (d) content-hash cache ------------------------------------------------------------------


def _cache_file(cdir: Path, data: bytes) -> Path:
    digest = hashlib.sha256(parse._CACHE_VERSION.encode() + b"\0" + data).hexdigest()
    return cdir / digest[:2] / f"{digest}.bin"


def _refuse_to_parse(_: Any) -> Any:
    raise AssertionError("parsed again although the result was cached")


def test_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cdir = tmp_path / "cache"
    monkeypatch.setenv("TMSCAN_CACHE_DIR", str(cdir))
    root = tmp_path / "src"
    net = write(root, "net.tf", NETWORK_TF)
    bad = write(root, "bad.tf", BAD_TF)
    first = parse_files(root, [net, bad], workers=1)
    assert first[0].error is None
    assert first[1].error_line == 6

    expected_files = {_cache_file(cdir, NETWORK_TF.encode()), _cache_file(cdir, BAD_TF.encode())}
    assert {p for p in cdir.rglob("*") if p.is_file()} == expected_files

    # The second call must come from the cache: parsing again would fail this test.
    monkeypatch.setattr(parse, "_parse_one", _refuse_to_parse)
    second = parse_files(root, [net, bad], workers=1)
    assert second == first

    # Same content under another name: a cache hit, reported under its own path.
    copy = write(root, "copy/net.tf", NETWORK_TF)
    [third] = parse_files(root, [copy], workers=1)
    assert third == Parsed(copy, "copy/net.tf", first[0].document)


def test_corrupt_cache_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cdir = tmp_path / "cache"
    monkeypatch.setenv("TMSCAN_CACHE_DIR", str(cdir))
    path = write(tmp_path, "good.tf", GOOD_TF)
    entry = _cache_file(cdir, GOOD_TF.encode())
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"\x00not marshal data")
    assert parse_files(tmp_path, [path], workers=1) == [Parsed(path, "good.tf", GOOD_DOC)]
    assert marshal.loads(entry.read_bytes()) == [GOOD_DOC, None, None]


def test_empty_cache_dir_setting_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("TMSCAN_CACHE_DIR", "")
    src = tmp_path / "src"
    path = write(src, "good.tf", GOOD_TF)
    assert cache_dir() is None
    assert parse_files(src, [path], workers=1) == [Parsed(path, "good.tf", GOOD_DOC)]
    assert list(home.rglob("*")) == []
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "home",
        "src",
        "src/good.tf",
    ]


def test_default_cache_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMSCAN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "tmscan" / "hcl"


# --- (e) parallel parsing ----------------------------------------------------------------------


class _RecordingPool(ProcessPoolExecutor):
    """A real process pool that notes it was started."""

    started: ClassVar[list[int | None]] = []

    def __init__(self, max_workers: int | None = None, **kw: Any) -> None:
        _RecordingPool.started.append(max_workers)
        super().__init__(max_workers=max_workers, **kw)


def _generated(i: int) -> str:
    # Sizes go up and down so that largest-first scheduling reorders the work.
    pad = "\n".join(f'    k{j} = "{"x" * (i % 4)}"' for j in range((i * 7) % 11 + 1))
    return (
        f'resource "aws_subnet" "s{i}" {{\n'
        f'  cidr_block = "10.0.{i}.0/24"\n'
        f"  tags = {{\n{pad}\n  }}\n"
        f"}}\n"
    )


def test_parallel_results_equal_serial_and_keep_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [write(tmp_path, f"f{i:02}.tf", _generated(i)) for i in range(12)]
    paths.insert(5, write(tmp_path, "broken.tf", BAD_TF))
    paths.insert(9, write(tmp_path, "latin1.tf", b'x = "\xff"\n'))
    monkeypatch.setattr(parse, "_PARALLEL_MIN_BYTES", 64)
    monkeypatch.setattr(parse, "ProcessPoolExecutor", _RecordingPool)
    _RecordingPool.started.clear()

    parallel = parse_files(tmp_path, paths, workers=2)
    assert _RecordingPool.started == [2]
    serial = parse_files(tmp_path, paths, workers=1)
    assert _RecordingPool.started == [2]

    assert parallel == serial
    assert [p.path for p in parallel] == paths
    names = [
        next(iter(p.document["resource"][0]["aws_subnet"])) if p.document else p.rel
        for p in parallel
    ]
    assert names == [
        "s0",
        "s1",
        "s2",
        "s3",
        "s4",
        "broken.tf",
        "s5",
        "s6",
        "s7",
        "latin1.tf",
        "s8",
        "s9",
        "s10",
        "s11",
    ]
    assert parallel[5].error_line == 6


def test_small_input_stays_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [write(tmp_path, f"f{i}.tf", _generated(i)) for i in range(3)]
    monkeypatch.setattr(parse, "ProcessPoolExecutor", _RecordingPool)
    _RecordingPool.started.clear()
    results = parse_files(tmp_path, paths, workers=2)
    assert _RecordingPool.started == []
    assert [r.rel for r in results] == ["f0.tf", "f1.tf", "f2.tf"]
    assert all(r.error is None for r in results)


# --- (f) property: any input gives a document or an error ------------------------------------

VALID_BLOCK = """\
resource "aws_security_group" "web" {
  name   = "web-${var.env}"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { Name = "web" }
}
"""


@st.composite
def mutated_block(draw: st.DrawFn) -> str:
    """VALID_BLOCK with a few characters deleted and a few HCL-ish characters inserted."""
    text = VALID_BLOCK
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            j = draw(st.integers(i, min(len(text), i + 8)))
            text = text[:i] + text[j:]
        else:
            insert = draw(st.text(alphabet='{}[]()"=$%<>#\n\\ ,.:?*/-EOT', max_size=4))
            text = text[:i] + insert + text[i:]
    return text


def _check_one(root: Path, data: bytes) -> None:
    path = root / "fuzz.tf"
    path.write_bytes(data)
    results = parse_files(root, [path], workers=1)
    assert len(results) == 1
    [result] = results
    assert isinstance(result, Parsed)
    assert (result.path, result.rel) == (path, "fuzz.tf")
    if result.document is None:
        assert isinstance(result.error, str)
        assert result.error != ""
        assert result.error_line is None or isinstance(result.error_line, int)
    else:
        assert isinstance(result.document, dict)
        assert (result.error, result.error_line) == (None, None)


_FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_FUZZ
@given(text=st.text())
def test_arbitrary_text_yields_document_or_error(tmp_path: Path, text: str) -> None:
    _check_one(tmp_path, text.encode("utf-8", "surrogatepass"))


@_FUZZ
@given(text=mutated_block())
def test_mutated_resource_block_yields_document_or_error(tmp_path: Path, text: str) -> None:
    _check_one(tmp_path, text.encode("utf-8"))


@_FUZZ
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_yield_document_or_error(tmp_path: Path, data: bytes) -> None:
    _check_one(tmp_path, data)
