"""Kiosk terminals, their device credentials and their print queue."""
