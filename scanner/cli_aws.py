"""The `scan` command's live AWS options (--aws and what goes with it)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from collectors.aws_live.session import AwsOptions

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--aws", "aws", is_flag=True, help="Also read live AWS accounts (read-only API calls)."
    ),
    click.option("--profile", help="AWS profile for --aws (default: the credential chain)."),
    click.option(
        "--region",
        "regions",
        multiple=True,
        help="AWS region to read with --aws (repeatable; default: the profile's region).",
    ),
    click.option(
        "--all-regions", is_flag=True, help="With --aws, read every region enabled in the account."
    ),
    click.option(
        "--role-arn",
        "role_arns",
        multiple=True,
        help="With --aws, assume this role and read its account (repeatable: one per account).",
    ),
    click.option("--external-id", help="External id for --role-arn."),
    click.option(
        "--aws-concurrency",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="AWS reads in flight at once.",
    ),
)
FLAGS = {
    "profile": "--profile",
    "regions": "--region",
    "all_regions": "--all-regions",
    "role_arns": "--role-arn",
    "external_id": "--external-id",
}


def aws_options(command: F) -> F:
    """Decorate `scan` with the --aws options."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def aws_settings(aws: bool, concurrency: int, **given: Any) -> AwsOptions | None:
    """The collector's options, or None without --aws (other AWS options are then an error)."""
    if not aws:
        named = [flag for name, flag in FLAGS.items() if given.get(name)]
        if named:
            verb = "needs" if len(named) == 1 else "need"
            raise click.UsageError(f"{', '.join(named)} {verb} --aws")
        return None
    if given.get("regions") and given.get("all_regions"):
        raise click.UsageError("--region and --all-regions exclude each other")
    if given.get("external_id") and not given.get("role_arns"):
        raise click.UsageError("--external-id goes with --role-arn")
    from collectors.aws_live.session import AwsOptions  # noqa: PLC0415

    return AwsOptions(
        profile=given.get("profile"),
        regions=tuple(dict.fromkeys(given.get("regions") or ())),
        all_regions=bool(given.get("all_regions")),
        role_arns=tuple(given.get("role_arns") or ()),
        external_id=given.get("external_id"),
        concurrency=concurrency,
        progress=sys.stderr.isatty() and not os.environ.get("CI"),
    )
