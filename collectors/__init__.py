"""Collectors: one per source kind, each turning its source into a Fragment."""
