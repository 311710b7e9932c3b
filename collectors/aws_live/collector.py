"""The live AWS collector: every service module, in every account and region, at once.

Reads run concurrently (a bounded pool over account x region x service module); each
module's pure transform turns its raw responses into the shared AWS records, and each
account's records become one Inventory mapped like a Terraform root.
"""

from __future__ import annotations

import logging
import sys
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Any

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws_live.api import Api, Ledger, Where
from collectors.aws_live.readonly import ReadOnlyViolation
from collectors.aws_live.records import WafAssociation
from collectors.aws_live.services import MODULES
from collectors.aws_live.session import Account, AwsOptions, open_accounts, regions_of
from scanner.model import Diagnostic, Fragment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Task:
    account: Account
    module: ModuleType
    region: str  # "" for a module read once per account

    @property
    def name(self) -> str:
        return self.module.__name__.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class LiveAws:
    """The collector's result: the fragment, the accounts read and the call count."""

    fragment: Fragment
    accounts: tuple[str, ...]
    calls: int


def collect_aws(options: AwsOptions, modules: tuple[ModuleType, ...] = MODULES) -> LiveAws:
    ledger = Ledger(width=options.concurrency)
    diagnostics: list[Diagnostic] = []
    accounts, home = open_accounts(options, ledger, diagnostics)
    tasks: list[_Task] = []
    scopes: dict[str, list[str]] = {}
    for account in accounts:
        regions = regions_of(account, options, home)
        if regions is None:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    f"aws {account.where.account}/{home} ec2:DescribeRegions",
                    f"enabled regions could not be listed; read {home} only",
                )
            )
            regions = [home]
        scopes[account.where.account] = regions
        for module in modules:
            at = [home] if module.GLOBAL else regions
            tasks.extend(_Task(account, module, "" if module.GLOBAL else x) for x in at)
    records: dict[str, list[Any]] = defaultdict(list)
    with _progress(options.progress, len(tasks)) as advance:
        for task, found, problem in _run(tasks, home, ledger, options.concurrency):
            if problem is not None:
                diagnostics.append(problem)
            records[task.account.where.account].extend(found)
            advance(f"{task.account.where.account} {task.region or 'global'} {task.name}")
    fragments = []
    for account in accounts:
        number = account.where.account
        inventory = inventory_of(records[number], scope=f"aws {number}")
        fragments.append(
            to_fragment(inventory, prefix=f"aws:{number}//", scope_name=f"AWS account {number}")
        )
    diagnostics.extend(_failures(ledger))
    diagnostics.extend(_coverage(scopes, tasks, ledger))
    inputs = tuple(f"aws:{a}/{x}" for a, regions in sorted(scopes.items()) for x in regions)
    fragments.append(Fragment(diagnostics=tuple(diagnostics), inputs=inputs))
    return LiveAws(Fragment.combine(fragments), tuple(sorted(scopes)), ledger.total())


def _run(
    tasks: list[_Task], home: str, ledger: Ledger, concurrency: int
) -> Iterator[tuple[_Task, list[Any], Diagnostic | None]]:
    """Each task's records as it finishes; a module's bug is a diagnostic, a write
    attempt is fatal (tmscan must never change an account)."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(_read, t, home, ledger): t for t in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield task, future.result(), None
            except ReadOnlyViolation:
                for other in futures:
                    other.cancel()
                raise
            except Exception as err:  # one module's bug must not lose the others
                log.debug("aws module %s failed", task.name, exc_info=True)
                where = f"aws {task.account.where.account}/{task.region or 'global'}"
                for client in task.module.CLIENTS:  # coverage: not read, whatever it called
                    ledger.broken.add((task.account.where.account, task.region, client))
                yield (
                    task,
                    [],
                    Diagnostic(
                        "error",
                        f"{where} {task.name}",
                        f"not read ({type(err).__name__}); run with -vv for the trace",
                    ),
                )


def _read(task: _Task, home: str, ledger: Ledger) -> list[Any]:
    region = task.region or home
    base = task.account.where
    where = Where(base.account, task.region, base.partition)
    apis = {
        name: Api(task.account.client(name, region), where, ledger) for name in task.module.CLIENTS
    }
    raw = task.module.read(apis)
    found: list[Any] = task.module.transform(raw, where)
    return found


# --- records to one Inventory per account --------------------------------------------------


def _fields() -> dict[type, str]:
    """Inventory field per record type, read off the Inventory's annotations."""
    hints = typing.get_type_hints(r.Inventory)
    out: dict[type, str] = {}
    for f in fields(r.Inventory):
        args = typing.get_args(hints[f.name])
        if f.name != "extra" and args and isinstance(args[0], type) and args[0] is not str:
            out[args[0]] = f.name
    return out


_FIELDS = _fields()


def inventory_of(found: list[Any], scope: str) -> r.Inventory:
    """Sort records (and the rules of security groups and ACLs, which are not records)
    into the Inventory's fields, family records into `extra`, in a stable order so the
    same account gives the same model whatever order the reads finished in."""
    by_field: dict[str, list[Any]] = defaultdict(list)
    seen: set[Any] = set()
    for rec in sorted(found, key=_order):
        # The same record twice (a trail every region lists) is one.
        if rec in seen:
            continue
        seen.add(rec)
        if isinstance(rec, WafAssociation):
            by_field["waf_protected"].append(rec.target)
        else:
            by_field[_FIELDS.get(type(rec), "extra")].append(rec)
    return r.Inventory(**{k: tuple(v) for k, v in by_field.items()}, scope=scope)


def _order(rec: Any) -> tuple[str, str, str, str]:
    ref = getattr(rec, "ref", None) or getattr(rec, "group", None) or getattr(rec, "acl", "")
    return (type(rec).__name__, str(ref), str(getattr(rec, "address", "")), repr(rec))


# --- what was read --------------------------------------------------------------------------


def _failures(ledger: Ledger) -> list[Diagnostic]:
    """One diagnostic per failed call; a region where every call failed for the same
    reason (not enabled, say) is one diagnostic instead of dozens."""
    by_region: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for where, service, operation, reason in ledger.failures:
        by_region[(where.account, where.region)].append((service, operation, reason))
    out = []
    for (account, region), failed in sorted(by_region.items()):
        reasons = {reason.split(" (", 1)[0] for _, _, reason in failed}
        if len(failed) > 3 and len(reasons) == 1 and "denied" not in next(iter(reasons)):
            out.append(
                Diagnostic(
                    "warning",
                    f"aws {account}/{region or 'global'}",
                    f"{len(failed)} calls failed: {failed[0][2]}",
                )
            )
            continue
        for service, operation, reason in sorted(failed):
            out.append(
                Diagnostic(
                    "warning", f"aws {account}/{region or 'global'} {service}:{operation}", reason
                )
            )
    return out


def _coverage(
    scopes: Mapping[str, list[str]], tasks: list[_Task], ledger: Ledger
) -> list[Diagnostic]:
    """Per account and region: which service modules were read completely."""
    failed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for where, service, _, _ in ledger.failures:
        failed[(where.account, where.region)].add(service)
    for account, region, service in ledger.broken:
        failed[(account, region)].add(service)
    out = []
    for task_scope in sorted({(t.account.where.account, t.region) for t in tasks}):
        account, region = task_scope
        services = sorted(
            {
                c
                for t in tasks
                if (t.account.where.account, t.region) == task_scope
                for c in t.module.CLIENTS
            }
        )
        incomplete = sorted(failed.get(task_scope, set()))
        read = [s for s in services if s not in incomplete]
        text = f"read {', '.join(read) or 'nothing'}"
        if incomplete:
            text += f"; incomplete: {', '.join(incomplete)}"
        out.append(Diagnostic("info", f"aws {account}/{region or 'global'}", text))
    total = ", ".join(f"{a} ({', '.join(x)})" for a, x in sorted(scopes.items()))
    out.append(Diagnostic("info", "aws", f"{ledger.total()} API calls; accounts read: {total}"))
    return out


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr when asked (a terminal); otherwise silent."""
    if not show:
        yield lambda _: None
        return
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

    columns = (
        TextColumn("AWS"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("", total=total)

        def advance(done: str) -> None:
            bar.update(task, advance=1, description=done)

        yield advance
