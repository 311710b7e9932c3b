"""Workloads, Services and ConfigMaps of a set of manifests, and how they find each other."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from collectors.kubernetes.manifests import LINE, K8sObject, clean

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
_URL = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?:[^/?#\s]*@)?(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>\d+))?"
)
_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z][A-Za-z0-9.-]*):(?P<port>\d+)$")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
# Names of variables and keys whose literal value is a credential.
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_NOT_SECRET = re.compile(
    r"(_FILE|_PATH|_TTL|_TIMEOUT|_EXPIRY|_LENGTH|_ENABLED|_ARN|_URL|_URI|_NAME|_ID|_REF|"
    r"_ENDPOINT|_HEADER|_ALGORITHM)$",
    re.I,
)
# Env var names whose bare value is a host (REDIS_HOST=redis).
_HOST_NAMES = ("_HOST", "_HOSTNAME", "_ADDR", "_ADDRESS", "_SERVER", "_ENDPOINT", "_SERVICE")


@functools.cache
def _image_types() -> dict[str, str]:
    text = resources.files("collectors.kubernetes").joinpath("data/images.yaml").read_text()
    raw = yaml.safe_load(text)
    return {image: type_ for type_, images in raw.items() for image in images}


def image_type(image: str) -> str | None:
    """The datastore type of a container image (`docker.io/library/postgres:16`), if any."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()
    return _image_types().get(name)


def pod_template(obj: K8sObject) -> Mapping[str, Any]:
    """The pod a workload runs: its `template` (a CronJob's through `jobTemplate`), or a
    bare Pod itself. Empty when the manifest does not hold one."""
    if obj.kind == "Pod":
        return obj.body
    spec = obj.body.get("spec")
    if obj.kind == "CronJob" and isinstance(spec, dict):
        spec = (spec.get("jobTemplate") or {}).get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    return template if isinstance(template, dict) else {}


def pod_spec(obj: K8sObject) -> Mapping[str, Any]:
    inner = pod_template(obj).get("spec")
    return inner if isinstance(inner, dict) else {}


def pod_metadata(obj: K8sObject, key: str) -> dict[str, str]:
    """The pod template's `labels` or `annotations`, as strings."""
    meta = pod_template(obj).get("metadata")
    found = meta.get(key) if isinstance(meta, dict) else None
    return (
        {str(k): str(v) for k, v in clean(found or {}).items()} if isinstance(found, dict) else {}
    )


def pod_labels(obj: K8sObject) -> dict[str, str]:
    return pod_metadata(obj, "labels")


def containers(obj: K8sObject) -> list[Mapping[str, Any]]:
    found = pod_spec(obj).get("containers")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


@dataclass(frozen=True)
class Reference:
    """A place in a workload's configuration that names a host."""

    env: str  # the env var (or ConfigMap key) that holds it
    host: str
    port: int | None
    scheme: str | None
    text: str  # the whole value (never printed: may embed credentials)
    line: int
    file: str
    via: str = "env"  # "env" or "args": where the name was found


def secret_name(name: str) -> bool:
    """Does a variable or key name say it holds a credential?"""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.search(name)


def host_references(
    name: str, value: str, line: int, file: str, via: str = "env"
) -> Iterator[Reference]:
    """Hosts an env value names: URLs, host:port, or a bare host in a *_HOST-like var.
    A credential-named variable is never read: its text would reach the report."""
    if secret_name(name):
        return
    found = False
    for m in _URL.finditer(value):
        found = True
        port = int(m["port"]) if m["port"] else None
        host, scheme = m["host"].lower(), m["scheme"].lower()
        yield Reference(name, host, port, scheme, value, line, file, via)
    if found:
        return
    hp = _HOST_PORT.match(value.strip())
    if hp:
        yield Reference(name, hp["host"].lower(), int(hp["port"]), None, value, line, file, via)
    elif name.upper().replace("-", "_").endswith(_HOST_NAMES) and _HOSTNAME.match(value.strip()):
        yield Reference(name, value.strip().lower(), None, None, value, line, file, via)


def arg_references(container: Mapping[str, Any], line: int, file: str) -> Iterator[Reference]:
    """Hosts a container's command and args name: `--flag=value`, `--flag value`, and
    URLs anywhere (also inside `sh -c` scripts)."""
    items = [*(container.get("command") or []), *(container.get("args") or [])]
    flag: str | None = None
    for item in (str(i) for i in items if isinstance(i, str | int)):
        if item.startswith("-") and "=" in item:
            name, _, value = item.partition("=")
            yield from host_references(name, value, line, file, "args")
            flag = None
        elif item.startswith("--"):
            flag = item
        else:
            yield from host_references(flag or "", item, line, file, "args")
            flag = None


class Index:
    """Services and ConfigMaps by namespace and name."""

    def __init__(self, objs: Iterable[K8sObject]) -> None:
        self.services: dict[tuple[str | None, str], K8sObject] = {}
        self.config_maps: dict[tuple[str | None, str], dict[str, str]] = {}  # their data
        self.config_map_objects: dict[tuple[str | None, str], K8sObject] = {}
        self.workloads: list[K8sObject] = []
        self._by_namespace: dict[str | None, list[tuple[K8sObject, dict[str, str]]]] = {}
        for o in objs:
            if o.kind == "Service":
                self.services[(o.namespace, o.name)] = o
            elif o.kind == "ConfigMap":
                data = clean(o.body.get("data") or {})
                self.config_maps[(o.namespace, o.name)] = {str(k): str(v) for k, v in data.items()}
                self.config_map_objects[(o.namespace, o.name)] = o
            elif o.kind in WORKLOADS:
                self.workloads.append(o)
                self._by_namespace.setdefault(o.namespace, []).append((o, pod_labels(o)))

    def selected(self, service: K8sObject) -> list[K8sObject]:
        """The workloads a Service's selector matches (in its namespace)."""
        selector = clean((service.body.get("spec") or {}).get("selector") or {})
        if not selector:
            return []
        wanted = [(str(k), str(v)) for k, v in selector.items()]
        return [
            w
            for w, labels in self._by_namespace.get(service.namespace, [])
            if all(labels.get(k) == v for k, v in wanted)
        ]

    def service_for(self, host: str, namespace: str | None) -> K8sObject | None:
        """The Service a DNS name means: svc, svc.ns, svc.ns.svc[.cluster.local]."""
        parts = host.split(".")
        if len(parts) == 1:
            return self.services.get((namespace, parts[0]))
        if len(parts) == 2 or parts[2:] in (["svc"], ["svc", "cluster", "local"]):
            return self.services.get((parts[1], parts[0]))
        return None

    def env_values(self, workload: K8sObject) -> Iterator[tuple[str, str, int]]:
        """(name, value, line) of every literal env var and ConfigMap entry it reads."""
        for c in containers(workload):
            for env in c.get("env") or []:
                if not isinstance(env, dict) or not isinstance(env.get("name"), str):
                    continue
                line = int(env.get(LINE, workload.line))
                value = env.get("value")
                ref = ((env.get("valueFrom") or {}).get("configMapKeyRef")) or {}
                if not isinstance(value, str) and ref.get("name") and ref.get("key"):
                    data = self.config_maps.get((workload.namespace, str(ref["name"]))) or {}
                    value = data.get(str(ref["key"]))
                if isinstance(value, str):
                    yield env["name"], value, line
            for source in c.get("envFrom") or []:
                cm = (source or {}).get("configMapRef") or {}
                data = self.config_maps.get((workload.namespace, str(cm.get("name")))) or {}
                line = int(source.get(LINE, workload.line)) if isinstance(source, dict) else 0
                for key, value in sorted(data.items()):
                    yield key, value, line

    def env_references(self, workload: K8sObject) -> list[Reference]:
        """Every host the workload's containers are configured to reach."""
        out: list[Reference] = []
        for name, value, line in self.env_values(workload):
            out += host_references(name, value, line, workload.file)
        for c in containers(workload):
            out += arg_references(c, int(c.get(LINE, workload.line)), workload.file)
        return out

    def aws_resources(self, workload: K8sObject) -> list[tuple[str, str, int]]:
        """(env name, asset key, line) of the AWS datastores its env names: by ARN, SQS
        queue URL or s3:// URL, or by name in a variable named for one (ORDERS_BUCKET,
        JOBS_QUEUE, ...). Only the resource's key is kept, never the value itself."""
        out = []
        for name, value, line in self.env_values(workload):
            key = aws_key(name, value.strip())
            if key is not None:
                out.append((name, key, line))
        return out


_ARN_KINDS = {
    "s3": "s3:bucket",
    "sqs": "sqs:queue",
    "sns": "sns:topic",
    "dynamodb": "dynamodb:table",
    "kinesis": "kinesis:stream",
}
# Variable name endings that hold a bare resource name (ORDERS_BUCKET, JOBS_QUEUE_NAME).
_NAME_HINTS = {
    "BUCKET": "s3:bucket",
    "QUEUE": "sqs:queue",
    "TABLE": "dynamodb:table",
    "TOPIC": "sns:topic",
    "STREAM": "kinesis:stream",
}
# A variable whose name says it holds a credential is never read for a name: its value
# must not reach the model, not even as a resource key.
_CREDENTIAL_WORDS = ("SECRET", "KEY", "PASSWORD", "PASSWD", "TOKEN", "CREDENTIAL", "AUTH")
# Other systems name their own topics, tables and streams the same way.
_NOT_AWS_WORDS = (
    "KAFKA",
    "PULSAR",
    "NATS",
    "RABBIT",
    "AMQP",
    "REDIS",
    "ROUTING",
    "POSTGRES",
    "MYSQL",
)
_SQS_URL = re.compile(
    r"^https://sqs\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/\d{12}/(?P<name>[\w.-]+)$"
)
_RESOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$")


def aws_key(name: str, value: str) -> str | None:
    """The asset key (`s3:bucket:orders-archive`) an env var names, if it names one: an
    ARN, a queue or s3:// URL, or a bare name in a variable whose name ends in BUCKET,
    QUEUE, TABLE, TOPIC or STREAM (optionally _NAME). Never from a credential-named
    variable, nor one named for another system (KAFKA_TOPIC)."""
    words = name.upper().replace("-", "_").split("_")
    if any(w.startswith(_CREDENTIAL_WORDS) for w in words):
        return None
    if value.startswith("arn:aws"):
        parts = value.split(":", 5)
        kind = _ARN_KINDS.get(parts[2]) if len(parts) == 6 else None
        if kind is None:
            return None
        # s3: bucket[/key]; dynamodb: table/NAME[/...]; kinesis: stream/NAME; sqs, sns: NAME
        path = parts[5].split("/")
        resource = path[1] if parts[2] in ("dynamodb", "kinesis") and len(path) > 1 else path[0]
        return f"{kind}:{resource}" if resource else None
    if m := _SQS_URL.match(value):
        return f"sqs:queue:{m['name']}"
    if value.startswith("s3://"):
        bucket = value[5:].split("/", 1)[0]
        return f"s3:bucket:{bucket}" if bucket else None
    if any(w in _NOT_AWS_WORDS for w in words):
        return None
    if words[-1] == "NAME" and len(words) > 1:
        words = words[:-1]  # ORDERS_BUCKET_NAME
    kind = _NAME_HINTS.get(words[-1])
    if kind is None or not _RESOURCE_NAME.match(value) or value.isdigit():
        return None
    if value.lower() in ("true", "false", "yes", "no", "on", "off", "none", "null"):
        return None
    return f"{kind}:{value}"


def service_ports(service: K8sObject) -> list[Mapping[str, Any]]:
    ports = (service.body.get("spec") or {}).get("ports")
    return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []


def target_port(port: Mapping[str, Any], workload: K8sObject) -> int | None:
    """The container port a Service port sends to (a named targetPort is looked up)."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for c in containers(workload):
        for p in c.get("ports") or []:
            if isinstance(p, dict) and p.get("name") == target:
                number = p.get("containerPort")
                return number if isinstance(number, int) else None
    return None


def port_protocol(port: Mapping[str, Any]) -> str:
    """A Service port's application protocol: appProtocol, else its name, else tcp."""
    for key in ("appProtocol", "name"):
        value = port.get(key)
        if isinstance(value, str) and value:
            return value.lower().split("-", 1)[0].rsplit("/", 1)[-1]
    return "tcp"
