"""Terraform collector (HCL files) producing normalised AWS records."""
