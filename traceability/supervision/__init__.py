"""Supervision: what township and county supervisors follow (see overview.py)."""
