"""The public lookup: what a phone camera or an intake scanner gets for a code."""
