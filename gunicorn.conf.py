"""gunicorn settings for the traceability service (override with GUNICORN_* env or flags)."""

import multiprocessing
import os

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
