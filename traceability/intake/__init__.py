"""Intake at markets and supermarkets: check codes, keep the ledger, trace recalls.

Domain functions only (they take a session and values); the pages and the JSON API
live in `views.py` and `api.py` of this package.
"""
