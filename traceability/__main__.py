"""`python -m traceability` is the same as the `traceability` command."""

from traceability.cli import main

main()
