"""The live Kubernetes collector: list a running cluster's objects through its API, read-only.

I/O only: API discovery, then one paginated LIST per kind the manifests mapping reads
(per namespace when the scan is limited to some). The objects go through the same
mapping as manifests (collectors/kubernetes/live_objects.py turns responses into them).
Every request goes through `ReadOnlyApiClient`, which refuses anything but GET.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from collectors.kubernetes.live_objects import (
    METADATA_ONLY,
    WANTED,
    Kind,
    kinds_served,
    relocate,
    to_objects,
)
from collectors.kubernetes.manifests import K8sObject
from collectors.kubernetes.mapping import to_fragment
from scanner.errors import CollectorError
from scanner.model import Diagnostic, Fragment

log = logging.getLogger(__name__)
PAGE = 500  # objects per LIST request
_METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


class ReadOnlyViolation(CollectorError):
    """Something tried to send a request that is not a read."""


class ReadOnlyApiClient(client.ApiClient):
    """An API client that sends GET requests only: tmscan never changes a cluster.

    Every call of the client (typed APIs, the dynamic client, `call_api`) ends in
    `request`, so refusing there covers them all. (The stubs do not declare `request`
    and `call_api`, hence the casts.)"""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method.upper() != "GET":
            raise ReadOnlyViolation(f"{method} {url}: refused, tmscan only reads the cluster")
        return cast(Any, super()).request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class LiveOptions:
    """Which cluster to read: a kubeconfig context, or the pod's own service account."""

    kubeconfig: Path | None = None
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: the whole cluster
    in_cluster: bool = False


def connect(options: LiveOptions) -> tuple[ReadOnlyApiClient, str]:
    """A read-only client and the cluster's name (context, or the server when in-cluster)."""
    cfg = client.Configuration()
    if options.in_cluster:
        config.load_incluster_config(client_configuration=cfg)
        return ReadOnlyApiClient(configuration=cfg), str(cfg.host)
    path = str(options.kubeconfig) if options.kubeconfig else None
    config.load_kube_config(
        config_file=path,
        context=options.context,
        client_configuration=cfg,
        persist_config=False,  # never write refreshed tokens back into the user's file
    )
    name = options.context
    if not name:
        _, active = config.list_kube_config_contexts(config_file=path)
        name = str(active.get("name") or cfg.host)
    return ReadOnlyApiClient(configuration=cfg), name


class _Reader:
    def __init__(self, api: ReadOnlyApiClient) -> None:
        self.api = api
        self.calls = 0

    def get(
        self, path: str, query: Sequence[tuple[str, str]] = (), accept: str = "application/json"
    ) -> Any:
        self.calls += 1
        response = cast(Any, self.api).call_api(
            path,
            "GET",
            query_params=list(query),
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=60,
        )
        raw = response[0].data if isinstance(response, tuple) else response.data
        return json.loads(raw)

    def pages(self, kind: Kind, namespace: str | None) -> Iterator[list[Mapping[str, Any]]]:
        """Every page of one LIST (limit/continue)."""
        accept = _METADATA_ACCEPT if kind.kind in METADATA_ONLY else "application/json"
        token: str | None = None
        seen: set[str] = set()
        while True:
            query = [("limit", str(PAGE))] + ([("continue", token)] if token else [])
            doc = self.get(kind.path(namespace), query, accept)
            if not isinstance(doc, Mapping):
                raise ValueError("the response is not a Kubernetes list")
            yield [i for i in doc.get("items") or [] if isinstance(i, Mapping)]
            token = (doc.get("metadata") or {}).get("continue")
            if not token or token in seen:  # a server that repeats a token must not loop
                return
            seen.add(token)


def _discover(reader: _Reader, diagnostics: list[Diagnostic]) -> list[Kind]:
    """The wanted kinds the cluster serves, at every version of their groups (preferred
    first). A group whose discovery fails is named and skipped."""
    groups: dict[str, list[str]] = {"": ["v1"]}
    resources: dict[str, list[Any]] = {"v1": reader.get("/api/v1").get("resources") or []}
    wanted = {group for group, _ in WANTED}
    for g in reader.get("/apis").get("groups") or []:
        name = str(g.get("name"))
        if name not in wanted:
            continue
        preferred = (g.get("preferredVersion") or {}).get("groupVersion")
        versions = [str(v.get("groupVersion")) for v in g.get("versions") or []]
        ordered = [gv for gv in dict.fromkeys([preferred, *versions]) if gv]
        groups[name] = []
        for gv in ordered:
            try:
                resources[gv] = reader.get(f"/apis/{gv}").get("resources") or []
            except Exception as e:  # one broken aggregated API must not stop the scan
                diagnostics.append(
                    Diagnostic("warning", f"GET /apis/{gv}", f"not read ({_why(e)})")
                )
                continue
            groups[name].append(gv.split("/", 1)[1])
    return kinds_served(groups, resources)


def _why(e: Exception) -> str:
    return _problem(e) if isinstance(e, ApiException) else type(e).__name__


def _problem(e: ApiException) -> str:
    try:
        reason = json.loads(e.body or "{}").get("reason") or e.reason
    except ValueError:
        reason = e.reason
    return f"{e.status} {reason}"


def _calls(
    reader: _Reader, kind: Kind, namespaces: Sequence[str], deployments: set[str]
) -> Iterator[tuple[str, Callable[[], list[K8sObject]]]]:
    """The reads one kind takes: a cluster-wide LIST, one LIST per namespace when the scan
    is limited to some, and a GET of each of those namespaces themselves."""

    def listing(namespace: str | None) -> Callable[[], list[K8sObject]]:
        return lambda: [
            o
            for items in reader.pages(kind, namespace)
            for o in to_objects(items, kind, deployments)
        ]

    def getting(name: str) -> Callable[[], list[K8sObject]]:
        return lambda: to_objects([reader.get(f"{kind.path()}/{name}")], kind)

    if not namespaces:
        yield f"LIST {kind.path()}", listing(None)
    elif kind.namespaced:
        for ns in namespaces:
            yield f"LIST {kind.path(ns)}", listing(ns)
    elif kind.kind == "Namespace":
        for ns in namespaces:
            yield f"GET {kind.path()}/{ns}", getting(ns)
    else:
        yield f"LIST {kind.path()}", listing(None)  # cluster-wide RBAC: may be forbidden


def collect_live(options: LiveOptions) -> tuple[Fragment, str]:
    """Read the cluster into a Fragment, and the cluster's name. Every call that fails is
    a diagnostic naming it; a view with a failed read, or limited to some namespaces, is
    not taken as the whole cluster."""
    where = "in-cluster config" if options.in_cluster else "kubeconfig"
    try:
        api, cluster = connect(options)
    except Exception as e:  # bad kubeconfig, unknown context, no in-cluster token
        problem = str(e).splitlines()[0][:200] if isinstance(e, config.ConfigException) else ""
        message = f"cannot connect ({type(e).__name__}{': ' + problem if problem else ''})"
        return Fragment(diagnostics=(Diagnostic("error", where, message),)), options.context or "?"
    reader = _Reader(api)
    diagnostics: list[Diagnostic] = []
    label = f"cluster {cluster}"
    try:
        kinds = _discover(reader, diagnostics)
    except Exception as e:  # unreachable server, TLS failure, not a Kubernetes API
        message = f"API discovery failed ({_why(e)}); nothing was read"
        return Fragment(diagnostics=(Diagnostic("error", label, message),)), cluster
    objs: list[K8sObject] = []
    inputs: list[str] = []
    failed = False
    deployments: set[str] = set()
    for kind in kinds:
        for call, read in _calls(reader, kind, options.namespaces, deployments):
            try:
                found = read()
            except Exception as e:  # 403, a server gone mid-scan, a body that is not JSON
                failed = True
                diagnostics.append(
                    Diagnostic("warning", call, f"not read ({_why(e)}); the scan goes on")
                )
                continue
            objs += found
            inputs.append(call)
            if kind.kind == "Deployment":
                deployments.update(f"{o.namespace}/{o.name}" for o in found)
    if options.namespaces or failed:
        seen = ", ".join(options.namespaces) if options.namespaces else "all namespaces"
        diagnostics.append(
            Diagnostic(
                "info",
                label,
                f"partial view: {seen} read, with the reads named above missing; "
                "what was not seen (other namespaces, cluster-wide mesh policy) is unknown",
            )
            if failed
            else Diagnostic(
                "info",
                label,
                f"partial view: only namespace(s) {seen} were read; other namespaces and "
                "cluster-wide mesh policy were not seen",
            )
        )
    complete = not options.namespaces and not failed
    fragment = relocate(to_fragment(objs, complete=complete), cluster, objs)
    diagnostics.append(Diagnostic("info", label, f"{reader.calls} API call(s)"))
    fragment = Fragment(
        elements=fragment.elements,
        flows=fragment.flows,
        boundaries=fragment.boundaries,
        diagnostics=fragment.diagnostics + tuple(diagnostics),
        inputs=tuple(sorted(inputs)),
    )
    return fragment, cluster
