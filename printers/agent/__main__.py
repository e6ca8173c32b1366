"""`python -m printers.agent`: the kiosk print agent, as the `traceability-kiosk` command."""

from printers.agent.cli import main

raise SystemExit(main())
