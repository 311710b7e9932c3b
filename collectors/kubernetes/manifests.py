"""Read Kubernetes manifests: every object of every YAML document, with its line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

try:  # LibYAML's loader when PyYAML was built with it (several times faster)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

LINE = "__line__"  # added to every mapping: the line it starts on
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "IngressClass",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "GatewayClass",
    }
)


class _LineLoader(_SafeLoader):
    """A safe loader that records each mapping's first line under LINE."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _LineLoader.construct_mapping,
)


@dataclass(frozen=True)
class K8sObject:
    kind: str
    name: str
    namespace: str | None  # None: not stated (a Helm/kustomize default decides)
    body: dict[str, Any]
    file: str
    line: int

    @property
    def address(self) -> str:
        """`Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds."""
        if self.kind in CLUSTER_SCOPED:
            return f"{self.kind}/{self.name}"
        return f"{self.kind}/{self.namespace or '?'}/{self.name}"


def is_kubernetes(doc: object) -> bool:
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


def objects(text: str, rel: str) -> Iterator[K8sObject]:
    """The Kubernetes objects of a YAML stream (List items unpacked); raises YAMLError."""
    for doc in yaml.load_all(text, Loader=_LineLoader):
        if not is_kubernetes(doc):
            continue
        assert isinstance(doc, dict)
        items = doc.get("items") if str(doc.get("kind", "")).endswith("List") else [doc]
        for item in items if isinstance(items, list) else []:
            if not is_kubernetes(item):
                continue
            meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
            name = meta.get("name")
            if not isinstance(name, str):
                continue
            ns = meta.get("namespace")
            yield K8sObject(
                kind=str(item["kind"]),
                name=name,
                namespace=ns if isinstance(ns, str) else None,
                body=item,
                file=rel,
                line=int(item.get(LINE, 1)),
            )


def clean(value: Any) -> Any:
    """A value without the LINE markers (labels, data maps)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
