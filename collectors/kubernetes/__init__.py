"""Kubernetes manifests collector: workloads, Services, Ingresses and their flows."""
