"""Compliance: production records, reference lists, rapid tests, 检打联动 and credit grades.

`gate.compliance_gate` runs inside every `issue_certificate`; the rest are plain domain
functions the API, the CLI and the pages share.
"""
