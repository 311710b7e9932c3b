"""The live AWS collector: read an account's resources through the AWS APIs, read-only.

The records it produces are the ones Terraform produces (collectors/aws/records.py), so
one mapping and one rule set serve both sources.
"""
