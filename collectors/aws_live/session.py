"""Sessions for the live scan: the default credential chain or assumed roles, guarded.

Every session tmscan makes gets the read-only hook (readonly.py) and the scan's call
counter before any client is made from it, including the ones that assume roles.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, cast

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from collectors.aws_live.api import Ledger, Where, jsonable
from collectors.aws_live.readonly import guard
from scanner.errors import CollectorError
from scanner.model import Diagnostic

SESSION_NAME = "tmscan-read-only"


@dataclass(frozen=True)
class AwsOptions:
    """What to read: whose credentials, which accounts and regions, how many at once."""

    profile: str | None = None
    regions: tuple[str, ...] = ()  # empty: the profile's or environment's region
    all_regions: bool = False  # every region enabled for the account
    role_arns: tuple[str, ...] = ()  # empty: the credentials' own account
    external_id: str | None = None
    concurrency: int = 8  # API reads in flight at once
    progress: bool = False  # a progress display on stderr (a terminal, not CI)


def custom_endpoint() -> bool:
    """Is an endpoint of its own set (AWS_ENDPOINT_URL or a per-service one)?"""
    return any(k.startswith("AWS_ENDPOINT_URL") for k in os.environ)


def client_config(options: AwsOptions) -> Config:
    """Adaptive retries (client-side rate limiting on throttles), and enough pooled
    connections for the concurrent reads."""
    return Config(
        # Five attempts: enough to ride out throttling (adaptive mode also slows every
        # client down when AWS throttles), not so many that an unreachable endpoint
        # holds a region's read for minutes of backoff.
        retries={"mode": "adaptive", "max_attempts": 5},
        max_pool_connections=max(10, options.concurrency * 2),
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="tmscan",
        # A single-host endpoint (AWS_ENDPOINT_URL) cannot serve bucket subdomains.
        s3={"addressing_style": "path" if custom_endpoint() else "auto"},
    )


class Account:
    """One account's guarded session; clients are made under a lock (a boto3 session is
    not thread-safe) and then shared (clients are)."""

    def __init__(self, session: boto3.session.Session, where: Where, config: Config) -> None:
        self.session = session
        self.where = where
        self.config = config
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                # A service name held in a str: the stubs' overloads want literals.
                session: Any = self.session
                made = session.client(service, region_name=region, config=self.config)
                if service == "s3control" and custom_endpoint():
                    made.meta.events.register("before-send.s3-control", self._one_host)
                self._clients[key] = made
            return self._clients[key]

    def _one_host(self, request: Any, **_: Any) -> None:
        """S3 Control puts the account id into the host name (`{account}.s3-control...`);
        an AWS-compatible endpoint of one host (AWS_ENDPOINT_URL) routes by path."""
        request.url = request.url.replace(f"//{self.where.account}.", "//", 1)


def _guarded(ledger: Ledger, **kwargs: Any) -> boto3.session.Session:
    session = boto3.session.Session(**kwargs)
    guard(session._session)
    ledger.attend(session._session)
    return session


def _assumed(
    base: boto3.session.Session, role: str, external_id: str | None, home: str, ledger: Ledger
) -> boto3.session.Session:
    """A guarded session of `role`, assumed from `base`, whose credentials renew before
    they expire (a scan of many regions can outlast an hour's session)."""
    extra: dict[str, Any] = {"RoleSessionName": SESSION_NAME}
    if external_id:
        extra["ExternalId"] = external_id
    source = base._session
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=lambda *a, **kw: source.create_client(*a, **{"region_name": home, **kw}),
        source_credentials=source.get_credentials(),
        role_arn=role,
        extra_args=extra,
    )
    fetcher.fetch_credentials()  # fail here, with the role named, if it cannot be assumed
    assumed = botocore.session.Session()
    # botocore has no public setter for refreshable credentials.
    cast(Any, assumed)._credentials = DeferredRefreshableCredentials(
        method="assume-role", refresh_using=fetcher.fetch_credentials
    )
    session = boto3.session.Session(botocore_session=assumed, region_name=home)
    guard(assumed)
    ledger.attend(assumed)
    return session


def _identity(session: boto3.session.Session, region: str, config: Config) -> Where:
    found = jsonable(session.client("sts", region_name=region, config=config).get_caller_identity())
    arn = str(found.get("Arn", ""))
    partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
    return Where(str(found["Account"]), "", partition)


def open_accounts(
    options: AwsOptions, ledger: Ledger, diagnostics: list[Diagnostic]
) -> tuple[list[Account], str]:
    """The accounts to read and the home region for account-wide calls.

    No usable credentials at all is fatal; a role that cannot be assumed is a
    diagnostic and the other accounts are read."""
    config = client_config(options)
    try:
        base = _guarded(ledger, profile_name=options.profile)
    except BotoCoreError as err:  # an unknown profile
        raise CollectorError(f"aws: {err}") from err
    home = (options.regions[0] if options.regions else None) or base.region_name
    if not home and options.all_regions:
        home = "us-east-1"  # any region lists the others; this one always exists
    if not home:
        raise CollectorError(
            "aws: no region: pass --region or --all-regions, or set AWS_REGION / the "
            "profile's region"
        )
    if not options.role_arns:
        try:
            return [Account(base, _identity(base, home, config), config)], home
        except (BotoCoreError, ClientError) as err:
            raise CollectorError(f"aws: sts:GetCallerIdentity failed: {_why(err)}") from err
    accounts = []
    for role in dict.fromkeys(options.role_arns):
        try:
            session = _assumed(base, role, options.external_id, home, ledger)
            accounts.append(Account(session, _identity(session, home, config), config))
        except (BotoCoreError, ClientError) as err:
            diagnostics.append(
                Diagnostic("error", f"aws sts:AssumeRole {role}", f"not read: {_why(err)}")
            )
    if not accounts:
        reasons = "; ".join(f"{d.source}: {d.message}" for d in diagnostics)
        raise CollectorError(f"aws: no role could be assumed ({reasons})")
    return accounts, home


def regions_of(account: Account, options: AwsOptions, home: str) -> list[str] | None:
    """The regions to read in an account: those asked for, or every enabled one
    (ec2:DescribeRegions lists the enabled regions only). None: the listing failed."""
    if not options.all_regions:
        return list(dict.fromkeys(options.regions or (home,)))
    try:
        found = account.client("ec2", home).describe_regions(AllRegions=False)
    except (BotoCoreError, ClientError):
        return None
    return sorted(str(r["RegionName"]) for r in found.get("Regions", []))


def _why(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
    return f"{type(err).__name__}: {err}"
