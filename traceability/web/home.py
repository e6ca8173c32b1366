"""The home page: the county, its townships and producers, and where to go next."""

from __future__ import annotations

from flask import Blueprint, render_template

from traceability.db import get_session
from traceability.regions.directory import county_overview

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home.html", counties=county_overview(get_session()))
