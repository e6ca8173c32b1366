"""Benchmarks that measure the service against this machine's own limits.

Every figure is a ratio to a baseline measured in the same run (a hello-world app under
the same gunicorn settings, bare Ed25519 signatures and verifications, a bare QR
matrix), because the machines we run on are shared and noisy. Run ``python -m bench``
or ``make bench``; the results go to ``docs/performance.md``.
"""
