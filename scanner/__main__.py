"""`python -m scanner` runs the tmscan CLI."""

from scanner.cli import main

main()
