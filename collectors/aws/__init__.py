"""AWS records and their mapping into the DFD, shared by Terraform and live AWS."""
