"""How big each benchmark runs: `tiny` for the test suite's smoke run, `full` for the doc."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    wrk_seconds: int  # per measured wrk run
    warmup_seconds: int  # wrk run before each kind of load's first measurement, not recorded
    rounds: int  # lookup: hello-world, JSON and HTML measured in turn this many times
    connections: int
    workers: int | None  # gunicorn workers for both apps; None: gunicorn.conf.py's default
    real_codes: int  # issued (signed) codes in the lookup database
    distinct_urls: int  # how many of them wrk cycles through
    scale_small: int  # item codes in the database for the small scale point
    scale_large: int  # … and for the large one (filler rows make up the difference)
    certificate_items: tuple[int, int]  # one certificate with this many codes: small, large
    certificate_repeats: tuple[int, int]
    bulk_codes: int  # `traceability issue --items N --output FILE`
    label_renders: int  # per layout
    verify_codes: int


SIZES = {
    "tiny": Size(
        name="tiny",
        wrk_seconds=1,
        warmup_seconds=1,
        rounds=3,  # odd: the median round is a measured one
        connections=32,
        workers=2,  # boots twice as fast; the smoke run checks the scripts, not the figures
        real_codes=1_000,
        distinct_urls=500,
        scale_small=1_000,
        scale_large=20_000,
        certificate_items=(1, 100),
        certificate_repeats=(3, 2),
        bulk_codes=2_000,
        label_renders=20,
        verify_codes=500,
    ),
    "full": Size(
        name="full",
        wrk_seconds=8,
        warmup_seconds=3,
        # five, not three: on a shared VM one round in a few loses a third of its throughput
        # to a neighbour, and with three rounds one such round could be the median's partner
        rounds=5,
        connections=32,
        workers=None,
        real_codes=10_000,
        distinct_urls=5_000,
        scale_small=10_000,
        scale_large=10_000_000,
        certificate_items=(1, 10_000),
        certificate_repeats=(20, 3),
        bulk_codes=1_000_000,
        label_renders=200,
        verify_codes=50_000,
    ),
}
