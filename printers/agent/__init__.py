"""The kiosk print agent: pulls print jobs from the server and prints each at most once.

It speaks HTTP to the service and uses only `printers` to print, so a kiosk runs it
without the server code. See docs/kiosk.md.
"""

AGENT_VERSION = "0.1.0"
