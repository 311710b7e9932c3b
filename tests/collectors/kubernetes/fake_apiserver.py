"""A local, read-only Kubernetes API server over fixture objects, for live-collector tests.

It serves HTTPS with a throwaway CA (made by the `openssl` command): kubectl, like all of
client-go, sends a kubeconfig's credentials only over TLS, so a plain-HTTP server could
not tell a client without the token from kubectl.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import ssl
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

USER = "system:serviceaccount:tmscan:tmscan"
CREATED = "2025-01-06T09:30:00Z"
# fmt: off
# Served even when no fixture object uses them, as on every real cluster.
STANDARD = {
    "v1": ("Pod", "Service", "Namespace", "ConfigMap", "Secret", "ServiceAccount", "LimitRange"),
    "apps/v1": ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"),
    "batch/v1": ("Job", "CronJob"),
    "networking.k8s.io/v1": ("NetworkPolicy", "Ingress", "IngressClass"),
    "rbac.authorization.k8s.io/v1": ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"),
}
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "IngressClass", "PriorityClass", "RuntimeClass", "CustomResourceDefinition", "APIService",
    "CSIDriver", "CSINode", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "VolumeAttachment", "ComponentStatus", "GatewayClass", "ClusterIssuer",
}
IRREGULAR_PLURALS = {"Endpoints": "endpoints", "PodMetrics": "pods", "NodeMetrics": "nodes"}
SHORT_NAMES = {  # of built-in resources only
    "pods": "po", "services": "svc", "namespaces": "ns", "configmaps": "cm",
    "serviceaccounts": "sa", "limitranges": "limits", "deployments": "deploy",
    "statefulsets": "sts", "daemonsets": "ds", "replicasets": "rs", "cronjobs": "cj",
    "ingresses": "ing", "networkpolicies": "netpol", "nodes": "no", "endpoints": "ep",
    "persistentvolumeclaims": "pvc", "persistentvolumes": "pv", "events": "ev",
}
# Compiled into the API server: their list items carry no apiVersion/kind (CRs' do).
BUILTIN_GROUPS = {
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "node.k8s.io",
    "rbac.authorization.k8s.io", "storage.k8s.io", "scheduling.k8s.io", "discovery.k8s.io",
    "events.k8s.io", "coordination.k8s.io", "certificates.k8s.io", "apiextensions.k8s.io",
    "admissionregistration.k8s.io", "apiregistration.k8s.io", "resource.k8s.io",
}
NO_STATUS = {
    "ConfigMap", "Secret", "ServiceAccount", "LimitRange", "Endpoints", "Event", "Role",
    "RoleBinding", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy", "IngressClass",
    "StorageClass", "PriorityClass",
}
STATUS: dict[str, dict[str, Any]] = {
    "Namespace": {"phase": "Active"},
    "Service": {"loadBalancer": {}},
    "Pod": {"phase": "Running", "podIP": "10.244.0.7"},
}
VERSION_INFO = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.2", "gitTreeState": "clean",
    "gitCommit": "67a30c0adcf52bd3f56ff0893ce19966be12991f", "buildDate": "2025-02-12T21:19:07Z",
    "goVersion": "go1.23.6", "compiler": "gc", "platform": "linux/amd64",
}
META_GV = "meta.k8s.io/v1"
# fmt: on


def plural(kind: str) -> str:
    """The resource name the API serves a kind under (gengo's lowercase plural rules)."""
    if kind in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[kind]
    low = kind.lower()
    if low.endswith("y") and low[-2:-1] not in set("aeiou"):
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    return low + "s"


def _version_key(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, then higher numbers first."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (-1, 0, 0)
    return ({"alpha": 0, "beta": 1}.get(m[2] or "", 2), int(m[1]), int(m[3] or 0))


def _status(code: int, reason: str, message: str, **details: str) -> dict[str, Any]:
    return {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code,
    }  # fmt: skip


NOT_FOUND = (404, _status(404, "NotFound", "the server could not find the requested resource"))


def _make_certs(directory: Path) -> None:
    """ca.crt, and tls.crt/tls.key for 127.0.0.1 signed by it (EC keys: quick to make)."""
    req = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    ca = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"]
    tls = ["-CA", "ca.crt", "-CAkey", "ca.key", "-addext", "basicConstraints=CA:FALSE"]
    tls += ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
    for name, extra in (("ca", ca), ("tls", tls)):
        out = ["-keyout", f"{name}.key", "-out", f"{name}.crt"]
        cmd = [*req, "-nodes", "-days", "2", "-subj", f"/CN=fake-kube-{name}", *extra, *out]
        subprocess.run(cmd, cwd=directory, check=True, capture_output=True)


class FakeApiServer:
    """Serves `objects` like a kube-apiserver: discovery, GET and paginated LIST, nothing else.

    `forbidden`: resource plurals (or "plural.group") whose reads get 403. `page_size`: the
    most items one LIST page holds when the client sends a `limit` (a real server may send
    fewer than asked); without a `limit` a LIST returns everything, as a real server does.
    """

    def __init__(
        self,
        objects: Iterable[dict[str, Any]],
        *,
        forbidden: Iterable[str] = (),
        page_size: int = 2,
        token: str = "test-token",
    ) -> None:
        self.forbidden = frozenset(forbidden)
        self.page_size = page_size
        self.token = token
        self.url = ""
        self.ca_file = Path()  # the CA that signed the server's certificate, once started
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self._lock = threading.Lock()
        self._versions: dict[str, set[str]] = {}  # group -> versions served
        self._kinds: dict[str, dict[str, tuple[str, bool]]] = {}  # group -> plural -> kind
        self._objects: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        for api_version, kinds in STANDARD.items():
            for kind in kinds:
                self._register(api_version, kind)
        rv = 1000
        for rv, obj in enumerate(objects, start=1001):
            self._add(copy.deepcopy(obj), rv)
        self._rv = str(rv)  # the list resourceVersion: the last write's
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def _register(self, api_version: str, kind: str) -> tuple[str, str, bool]:
        group, _, version = api_version.rpartition("/")
        self._versions.setdefault(group, set()).add(version)
        kinds = self._kinds.setdefault(group, {})
        name = plural(kind)
        kinds.setdefault(name, (kind, kind not in CLUSTER_SCOPED))
        return group, name, kinds[name][1]

    def _add(self, obj: dict[str, Any], rv: int) -> None:
        meta = obj.setdefault("metadata", {})
        if not (obj.get("apiVersion") and obj.get("kind") and meta.get("name")):
            raise ValueError(f"fixture object needs apiVersion, kind and metadata.name: {obj}")
        group, name, namespaced = self._register(obj["apiVersion"], obj["kind"])
        if namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        key = (meta.get("namespace", ""), meta["name"])
        meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{group}/{name}/{key}")))
        meta.setdefault("resourceVersion", str(rv))
        meta.setdefault("creationTimestamp", CREATED)
        if "spec" in obj:
            meta.setdefault("generation", 1)
        fields = {
            f"f:{k}": {} for k in obj if k not in ("apiVersion", "kind", "metadata", "status")
        }
        meta.setdefault("managedFields", [{
            "manager": "kubectl-client-side-apply", "operation": "Update",
            "apiVersion": obj["apiVersion"], "time": CREATED, "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}} | fields,
        }])  # fmt: skip
        if obj["kind"] not in NO_STATUS:
            obj.setdefault("status", STATUS.get(obj["kind"], {"observedGeneration": 1}))
        store = self._objects.setdefault((group, name), {})
        if key in store:
            raise ValueError(f"duplicate fixture object {group}/{name} {key}")
        store[key] = obj

    def __enter__(self) -> FakeApiServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    code, body = fake._respond(self.command, self.path, self.headers)
                except Exception as e:  # a bug in the fake: say so, as a real server's 500 would
                    code, body = 500, _status(500, "InternalError", f"fake API server: {e!r}")
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._tmp = tempfile.TemporaryDirectory(prefix="fake-apiserver-")
        certs = Path(self._tmp.name)
        _make_certs(certs)
        self.ca_file = certs / "ca.crt"
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(certs / "tls.crt", certs / "tls.key")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda *_: None  # type: ignore[method-assign]  # I/O only
        # The handshake happens in the request's thread: a stalled client blocks no other.
        self._server.socket = tls.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        if self._tmp is not None:
            self._tmp.cleanup()
        self._server = self._thread = self._tmp = None

    def kubeconfig(self, directory: Path, context: str = "kind-shop") -> Path:
        """Write a kubeconfig whose current context reaches this server with the token."""
        ca = base64.b64encode(self.ca_file.read_bytes()).decode()
        cluster = {"server": self.url, "certificate-authority-data": ca}
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
        }
        path = Path(directory) / "kubeconfig"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    # --- one request -------------------------------------------------------------------------

    def _respond(self, method: str, raw_path: str, headers: Any) -> tuple[int, dict[str, Any]]:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        with self._lock:
            self.requests.append((method, split.path, query))
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, _status(401, "Unauthorized", "Unauthorized")
        if method != "GET":
            message = "the server does not allow this method on the requested resource"
            return 405, _status(405, "MethodNotAllowed", message)
        segs = [s for s in split.path.split("/") if s]
        if segs == ["version"]:
            return 200, VERSION_INFO
        if segs == ["api"]:
            cidr = {"clientCIDR": "0.0.0.0/0", "serverAddress": self.url.removeprefix("https://")}
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [cidr]}  # fmt: skip
        if segs == ["apis"]:
            groups = [self._group(g) for g in sorted(self._versions) if g]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if segs[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", segs[2:]
        elif segs[:1] == ["apis"] and len(segs) >= 2 and segs[1] in self._versions:
            if len(segs) == 2:
                return 200, {"kind": "APIGroup", "apiVersion": "v1", **self._group(segs[1])}
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            return NOT_FOUND
        if version not in self._versions[group]:
            return NOT_FOUND
        gv = f"{group}/{version}" if group else version
        if not rest:
            return 200, self._resources(group, gv)
        namespace = rest[1] if len(rest) >= 3 and rest[0] == "namespaces" else None
        rest = rest[2:] if namespace is not None else rest
        if len(rest) > 2 or rest[0] not in self._kinds[group]:
            return NOT_FOUND  # a subresource, or a resource this group does not serve
        res, name = rest[0], (rest[1] if len(rest) == 2 else None)
        kind, namespaced = self._kinds[group][res]
        if (namespace is not None and not namespaced) or (namespaced and name and not namespace):
            return NOT_FOUND
        qualified = f"{res}.{group}" if group else res
        if res in self.forbidden or qualified in self.forbidden:
            verb, subject = ("get", f'{qualified} "{name}"') if name else ("list", qualified)
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            message = (
                f'{subject} is forbidden: User "{USER}" cannot {verb} resource "{res}" '
                f'in API group "{group}" {scope}'
            )
            details = {"group": group, "kind": res} | ({"name": name} if name else {})
            return 403, _status(403, "Forbidden", message, **details)
        meta_only = _metadata_only(headers.get("Accept"), single=name is not None)
        if meta_only is None:
            return 406, _status(406, "NotAcceptable", "only application/json is served here")
        store = self._objects.get((group, res), {})
        if name is None:
            return self._list(store, gv, kind, namespace, query, meta_only)
        if (namespace or "", name) not in store:
            message = f'{qualified} "{name}" not found'
            return 404, _status(404, "NotFound", message, name=name, group=group, kind=res)
        return 200, _render(store[(namespace or "", name)], gv, meta_only, in_list=False)

    def _group(self, group: str) -> dict[str, Any]:
        versions = sorted(self._versions[group], key=_version_key, reverse=True)
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}

    def _resources(self, group: str, gv: str) -> dict[str, Any]:
        resources = []
        for res, (kind, namespaced) in sorted(self._kinds[group].items()):
            entry = {"name": res, "singularName": kind.lower(), "namespaced": namespaced}
            entry |= {"kind": kind, "verbs": ["get", "list", "watch"]}
            if group in BUILTIN_GROUPS and res in SHORT_NAMES:
                entry["shortNames"] = [SHORT_NAMES[res]]
            resources.append(entry)
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}  # fmt: skip

    def _list(
        self,
        store: dict[tuple[str, str], dict[str, Any]],
        gv: str,
        kind: str,
        namespace: str | None,
        query: dict[str, list[str]],
        meta_only: bool,
    ) -> tuple[int, dict[str, Any]]:
        for unsupported in ("watch", "labelSelector", "fieldSelector"):
            if query.get(unsupported, [""])[0] not in ("", "false", "0"):
                message = f"{unsupported} is not supported by the fake API server"
                return 400, _status(400, "BadRequest", message)
        keys = sorted(k for k in store if namespace is None or k[0] == namespace)
        if token := query.get("continue", [""])[0]:
            try:
                start = tuple(json.loads(base64.urlsafe_b64decode(token))["start"])
            except (ValueError, KeyError, TypeError) as e:
                return 400, _status(400, "BadRequest", f"continue key is not valid: {e}")
            keys = [k for k in keys if k > start]
        try:
            limit = int(query.get("limit", ["0"])[0] or 0)
        except ValueError as e:
            return 400, _status(400, "BadRequest", f"limit: {e}")
        if limit > 0 and self.page_size > 0:
            limit = min(limit, self.page_size)
        meta: dict[str, Any] = {"resourceVersion": self._rv}
        if 0 < limit < len(keys):
            state = {"v": META_GV, "rv": int(self._rv), "start": list(keys[limit - 1])}
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
            meta["remainingItemCount"] = len(keys) - limit
            keys = keys[:limit]
        items = [_render(store[k], gv, meta_only, in_list=True) for k in keys]
        if meta_only:
            kind, gv = "PartialObjectMetadata", META_GV
        return 200, {"apiVersion": gv, "kind": f"{kind}List", "metadata": meta, "items": items}


def _metadata_only(accept: str | None, single: bool) -> bool | None:
    """Whether the first acceptable Accept clause asks for PartialObjectMetadata[List];
    None when no clause is acceptable (Table, protobuf, YAML are not served)."""
    for clause in (accept or "application/json").split(","):
        mime, *params = (p.strip() for p in clause.split(";"))
        opts = dict(p.partition("=")[::2] for p in params)
        if mime not in ("application/json", "application/*", "*/*") or "stream" in opts:
            continue
        if "as" not in opts:
            return False
        wanted = "PartialObjectMetadata" + ("" if single else "List")
        if (opts["as"], opts.get("g"), opts.get("v")) == (wanted, "meta.k8s.io", "v1"):
            return True
    return None


def _render(obj: dict[str, Any], gv: str, meta_only: bool, in_list: bool) -> dict[str, Any]:
    """The object as served at `gv`; list items of built-in kinds carry no apiVersion/kind."""
    if meta_only:
        meta = copy.deepcopy(obj["metadata"])
        return {"apiVersion": META_GV, "kind": "PartialObjectMetadata", "metadata": meta}
    item = copy.deepcopy(obj) | {"apiVersion": gv}
    if in_list and gv.rpartition("/")[0] in BUILTIN_GROUPS:
        del item["apiVersion"], item["kind"]
    return item
