"""gunicorn settings for the traceability service (override with GUNICORN_* env or flags)."""

import gc
import multiprocessing
import os
import sys

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(4, multiprocessing.cpu_count() * 2))))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Query strings of lookups carry codes, not secrets; tokens travel in headers, never logged.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
preload_app = False
# gunicorn >= 25 opens a control socket at one fixed path per user ($HOME/.gunicorn/gunicorn.ctl):
# two instances on one machine (tests, benchmarks, a staging copy) take it from each other.
# Nothing here uses gunicornc; systemd reloads with HUP (deploy/systemd/traceability.service).
control_socket_disable = True


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Freeze what loading the app allocated, so the cyclic collector stops walking it.

    A worker holds ~160,000 long-lived objects once the app is loaded (SQLAlchemy's
    mappers, Flask, Babel's catalogues, fonts). Left in the oldest generation, every full
    collection walks them all: measured under lookup load, one such collection paused a
    worker for 250-290 ms. Frozen, they are never walked again and a full collection
    only sees what requests and caches made since (gc.freeze in the Python docs).
    """
    gc.freeze()


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse a setting the app cannot use once, here in the master, before any fork.

    Left to the workers, each would fail alike; gunicorn halts on the first ("App failed
    to load", exit status 4) but with several workers its shutdown then raises again and
    prints a traceback over the message that matters.
    """
    from traceability.config import SettingError, load_settings

    try:
        load_settings()
    except SettingError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(4) from None
