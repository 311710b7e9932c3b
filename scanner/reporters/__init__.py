"""Reporters: turn a scan result into terminal output or files."""
