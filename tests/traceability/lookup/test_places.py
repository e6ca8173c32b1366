"""A scan's place: a keyed hash of the phone's network, never its address."""

from __future__ import annotations

import hashlib
import hmac

from traceability.lookup.service import coarse_place

SECRET = "a-secret-key-for-places"


def test_a_place_is_the_keyed_hash_of_the_ipv4_slash_16() -> None:
    expected = hmac.new(SECRET.encode(), b"10.20", hashlib.sha256).hexdigest()[:16]
    assert coarse_place("10.20.30.40", SECRET) == expected
    assert coarse_place("10.20.99.1", SECRET) == expected
    assert coarse_place("10.21.30.40", SECRET) != expected


def test_ipv6_networks_are_told_apart_by_their_first_two_groups() -> None:
    assert coarse_place("2001:db8::1", SECRET) == coarse_place("2001:db8:ff::2", SECRET)
    assert coarse_place("2001:db8::1", SECRET) != coarse_place("2001:db9::1", SECRET)


def test_the_place_depends_on_the_secret_even_once_kept() -> None:
    """Places are kept per network; a second app (another secret) must not get the first's."""
    first = coarse_place("10.20.30.40", SECRET)
    assert coarse_place("10.20.30.40", SECRET) == first
    assert coarse_place("10.20.30.40", "another-secret") != first


def test_an_unknown_address_still_has_a_place() -> None:
    assert coarse_place(None, SECRET) == coarse_place("unknown", SECRET)
    assert len(coarse_place(None, SECRET)) == 16
