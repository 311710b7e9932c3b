"""The live collector's pure transforms, on API responses as a real server sends them."""

from __future__ import annotations

from collectors.kubernetes.live_objects import Kind, kinds_served, read_through_owner, to_objects

DEPLOYMENTS = Kind("apps", "v1", "deployments", "Deployment", True)
PODS = Kind("", "v1", "pods", "Pod", True)
JOBS = Kind("batch", "v1", "jobs", "Job", True)


def test_kinds_are_found_at_any_served_version_preferred_first() -> None:
    groups = {"": ["v1"], "gateway.networking.k8s.io": ["v1", "v1alpha2"], "apps": ["v1"]}
    resources = {
        "v1": [
            {"name": "services", "kind": "Service", "namespaced": True},
            {"name": "pods/log", "kind": "Pod", "namespaced": True},
        ],
        "apps/v1": [{"name": "deployments", "kind": "Deployment", "namespaced": True}],
        "gateway.networking.k8s.io/v1": [
            {"name": "gateways", "kind": "Gateway", "namespaced": True}
        ],
        "gateway.networking.k8s.io/v1alpha2": [
            {"name": "gateways", "kind": "Gateway", "namespaced": True},
            {"name": "tlsroutes", "kind": "TLSRoute", "namespaced": True},
        ],
    }
    found = {(k.kind, k.group, k.version, k.plural) for k in kinds_served(groups, resources)}
    assert found == {
        ("Service", "", "v1", "services"),  # pods/log is a subresource, not pods
        ("Deployment", "apps", "v1", "deployments"),
        ("Gateway", "gateway.networking.k8s.io", "v1", "gateways"),
        ("TLSRoute", "gateway.networking.k8s.io", "v1alpha2", "tlsroutes"),
    }


def test_list_items_become_manifests_without_what_the_cluster_adds() -> None:
    item = {  # a list item: no apiVersion/kind, as a real server sends it
        "metadata": {
            "name": "cart",
            "namespace": "shop",
            "uid": "0b6c",
            "managedFields": [{"manager": "kubectl", "operation": "Update"}],
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"spec": "..."}',
                "team": "checkout",
            },
        },
        "spec": {"replicas": 2},
        "status": {"readyReplicas": 2},
    }
    (obj,) = to_objects([item], DEPLOYMENTS)
    assert obj.address == "Deployment/shop/cart"
    assert obj.file == "/apis/apps/v1/namespaces/shop/deployments/cart"
    assert obj.body == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "cart",
            "namespace": "shop",
            "uid": "0b6c",
            "annotations": {"team": "checkout"},
        },
        "spec": {"replicas": 2},
    }


def owned(kind: str, name: str) -> dict[str, object]:
    return {
        "metadata": {
            "name": "p",
            "namespace": "shop",
            "ownerReferences": [{"kind": kind, "name": name, "controller": True}],
        }
    }


def test_pods_and_jobs_are_read_through_their_controllers_only_when_those_are_read() -> None:
    read = {"shop/cart"}
    assert read_through_owner(owned("ReplicaSet", "cart-7d9f8b"), "Pod", read)
    assert not read_through_owner(owned("ReplicaSet", "legacy-5c4d"), "Pod", read)  # bare RS
    assert read_through_owner(owned("StatefulSet", "db"), "Pod", read)
    assert read_through_owner(owned("Job", "migrate-1"), "Pod", read)
    assert not read_through_owner(owned("Node", "ip-10-0-1-5"), "Pod", read)  # static pod
    assert not read_through_owner(owned("Cluster", "pg"), "Pod", read)  # an operator's
    assert read_through_owner(owned("CronJob", "nightly"), "Job", read)
    assert not read_through_owner({"metadata": {"name": "debug"}}, "Pod", read)
    kept = to_objects([owned("Node", "ip-10-0-1-5"), owned("StatefulSet", "db")], PODS, read)
    assert [o.name for o in kept] == ["p"] and len(kept) == 1
