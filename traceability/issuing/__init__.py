"""Issuing certificates: templates, numbering, signing item codes, revocation."""
