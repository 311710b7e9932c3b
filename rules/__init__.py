"""The rules engine and the built-in rules."""
