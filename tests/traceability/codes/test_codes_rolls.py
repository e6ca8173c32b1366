"""Pre-printed rolls (印刷激活) offline: a roll's codes are unusable until activated."""

from __future__ import annotations

from traceability.codes import (
    PendingGroup,
    SigningKey,
    Verifier,
    build_revocation_list,
    code_url,
    jwk_set,
    load_revocation_list,
    sign_item_codes,
    sign_revocation_list,
)


def test_unactivated_roll_codes_read_not_activated_and_activated_ones_genuine(
    key: SigningKey,
) -> None:
    roll = list(sign_item_codes("ROLLGROUPA", 3, key))
    pending = PendingGroup(g="ROLLGROUPA", activated=(roll[0].item,))
    jws = sign_revocation_list(build_revocation_list(7, pending_groups=[pending]), key)
    verifier = Verifier(jwk_set([key]), jws)
    assert verifier.verify(code_url("http://localhost", roll[0])).status == "genuine"
    assert verifier.verify(code_url("http://localhost", roll[1])).status == "not_activated"


def test_pending_groups_survive_the_signed_round_trip(key: SigningKey) -> None:
    pending = PendingGroup(g="ROLLGROUPB", activated=("ABCDEFGHIJKLMNOP",))
    jws = sign_revocation_list(build_revocation_list(3, pending_groups=[pending]), key)
    loaded = load_revocation_list(jws, jwk_set([key]))
    assert loaded.pending_groups == (pending,)


def test_a_list_without_rolls_omits_the_field(key: SigningKey) -> None:
    assert "pending_groups" not in build_revocation_list(1).to_payload()
