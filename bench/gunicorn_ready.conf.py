"""The project's gunicorn.conf.py, plus a note from each worker once it has loaded the app.

gunicorn forks workers before they import the app (preload_app is off), so a worker's
pid exists seconds before it can answer; the benchmark waits for these notes instead,
or it would measure imports. Every setting and hook is the project's own.
"""

import os
from pathlib import Path

_project_config = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
exec(compile(_project_config.read_text(encoding="utf-8"), str(_project_config), "exec"))


_project_post_worker_init = post_worker_init  # type: ignore[name-defined]  # noqa: F821


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    _project_post_worker_init(worker)
    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        (Path(ready) / str(worker.pid)).touch()
