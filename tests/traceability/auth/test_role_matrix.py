"""Every endpoint, called as every role and as a foreign tenant, admits exactly the allowed set.

The table below is the specification: one row per endpoint of `app.url_map`. An
endpoint added without a row fails `test_every_endpoint_has_a_rule`. A call counts as
refused when it answers 401 or 403 (or, for a page, sends the caller to sign in);
anything else means the access check let the caller through.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from flask.testing import FlaskClient

from tests.traceability.auth.conftest import CALLERS, PASSWORD, World
from traceability.web import navigation

ADMIN, SUP, PROD, MKT = "county_admin", "township_supervisor", "producer", "market_inspector"
RT, KIOSK = "rapid_test_operator", "kiosk"
F_SUP, F_PROD, F_MKT = "foreign_supervisor", "foreign_producer", "foreign_market_inspector"
EVERYONE = frozenset(CALLERS)
NOBODY: frozenset[str] = frozenset()
SIGNED_IN = EVERYONE - {"anonymous"}


@dataclass(frozen=True)
class Rule:
    """How to call an endpoint and who must get through."""

    channel: str  # public | api (bearer token) | page (signed-in session) | device
    path: Callable[[dict[str, Any]], str]
    allowed: frozenset[str]
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    hidden: bool = False  # refused with the 404 of a missing record, not a 403


def hidden(rule: Rule) -> Rule:
    """Records whose existence is not told to those who may not see them (lab reports)."""
    return Rule(rule.channel, rule.path, rule.allowed, rule.body, hidden=True)


def api(path: str, allowed: set[str] | frozenset[str], body: Any = None) -> Rule:
    return Rule("api", lambda ids: path.format(**ids), frozenset(allowed), body)


def page(path: str, allowed: set[str] | frozenset[str]) -> Rule:
    return Rule("page", lambda ids: path.format(**ids), frozenset(allowed))


def public(path: str) -> Rule:
    return Rule("public", lambda ids: path.format(**ids), EVERYONE)


def device(path: str) -> Rule:
    """Kiosk agent calls: only a terminal's device credential works, never a role's token."""
    return Rule("api", lambda ids: path.format(**ids), NOBODY, lambda ids: {"code": "x"})


ISSUE = lambda ids: {  # noqa: E731
    "producer_id": ids["producer_a"],
    "batch_id": ids["batch_a"],
    "items": 1,
    "basis": ["quality_control"],
    "signature_confirmed": True,
}
MARKET = lambda ids: {"market_id": ids["market_a"]}  # noqa: E731

RULES: dict[str, Rule] = {
    # public: anyone, signed in or not
    "static": public("/static/style.css"),
    "health.healthz": public("/healthz"),
    "home.index": public("/"),
    "lookup.code_page": public("/c/{code_a}"),
    "lookup.digital_link_page": public("/01/06901234567892/10/L1/21/{code_a}"),
    "lookup.jwks": public("/.well-known/jwks.json"),
    "lookup.revocations": public("/.well-known/revocations.jws"),
    "lookup.gs1_resolver": public("/.well-known/gs1resolver"),
    "lookup.label_png": public("/c/{code_a}/label.png"),
    "api.verify": Rule("public", lambda ids: "/api/v1/verify", EVERYONE, lambda ids: {"text": "x"}),
    "auth.login": public("/login"),
    "auth.logout": Rule("public", lambda ids: "/logout", EVERYONE, lambda ids: {}),
    "intake.page": public("/intake"),  # a shell; its data comes from the intake API
    # certificates: county admin, the producer itself, supervisors of its township
    "api.create_certificate": api("/api/v1/certificates", {ADMIN, PROD}, ISSUE),
    "admin.kiosks": page("/admin/kiosks", {ADMIN, SUP, F_SUP}),
    "admin.kiosk_new": page("/admin/kiosks/new", {ADMIN, SUP, F_SUP}),  # in its own townships
    "admin.kiosk_edit": page("/admin/kiosks/{terminal_a}/edit", {ADMIN, SUP}),
    "admin.producer_card": page("/admin/producers/{producer_a}/card.png", {ADMIN, SUP}),
    "admin.producer_pin": page("/admin/producers/{producer_a}/pin", {ADMIN, SUP}),
    "api.create_roll": api(
        "/api/v1/rolls", {ADMIN, PROD}, lambda ids: {"count": 1, "producer_id": ids["producer_a"]}
    ),
    "api.get_certificate": api("/api/v1/certificates/{certificate_a}", {ADMIN, SUP, PROD}),
    # the certificate pages: a producer lists its own, a supervisor its townships'
    "admin.certificates": page("/admin/certificates", {ADMIN, SUP, F_SUP, PROD, F_PROD}),
    "admin.certificate": page("/admin/certificates/{certificate_a}", {ADMIN, SUP, PROD}),
    "admin.certificate_revoke": page(
        "/admin/certificates/{certificate_a}/revoke", {ADMIN, SUP, PROD}
    ),
    # recalls on the staff pages: county admins, supervisors for their townships' producers
    "admin.recalls": page("/admin/recalls", {ADMIN, SUP, F_SUP}),
    "admin.recall_new": page("/admin/recalls/new", {ADMIN, SUP, F_SUP}),
    "admin.recall_page": page("/admin/recalls/{recall_a}", {ADMIN, SUP}),
    "api.revoke": api(
        "/api/v1/certificates/{certificate_a}/revoke", {ADMIN, SUP, PROD}, lambda ids: {}
    ),
    # kiosk agent (device credential) and terminals (region-scoped)
    "kiosk_api.enrol": device("/api/v1/kiosk/enrol"),
    "kiosk_api.heartbeat": device("/api/v1/kiosk/heartbeat"),
    "kiosk_api.claim": device("/api/v1/kiosk/jobs/claim"),
    "kiosk_api.wait": device("/api/v1/kiosk/jobs/{job_a}/wait"),
    "kiosk_api.ack": device("/api/v1/kiosk/jobs/{job_a}/ack"),
    "kiosk_api.register": api(
        "/api/v1/terminals",
        {ADMIN, SUP},
        lambda ids: {"name": "t", "township_id": ids["township_a"]},
    ),
    "kiosk_api.health": api("/api/v1/terminals", {ADMIN, SUP, F_SUP}),  # each sees its own
    "kiosk_api.revoke_terminal": api(
        "/api/v1/terminals/{terminal_a}/revoke", {ADMIN, SUP}, lambda ids: {}
    ),
    "kiosk_api.update_terminal": api(
        "/api/v1/terminals/{terminal_a}", {ADMIN, SUP}, lambda ids: {"site": "x"}
    ),
    "kiosk_api.enqueue": api(
        "/api/v1/terminals/{terminal_a}/jobs",
        {ADMIN, SUP, PROD},
        lambda ids: {"certificate": ids["certificate_a"]},
    ),
    "kiosk_api.job_status": api("/api/v1/print-jobs/{job_a}", {ADMIN, SUP, PROD}),
    "kiosk_api.reprint": api(
        "/api/v1/print-jobs/{job_a}/reprint", {ADMIN, SUP, PROD}, lambda ids: {"reason": "r"}
    ),
    "kiosk_api.cancel": api(
        "/api/v1/print-jobs/{job_a}/cancel", {ADMIN, SUP, PROD}, lambda ids: {}
    ),
    # market ledgers: the market's own inspector; county and its township's supervisor read
    "intake_api.intake": api("/api/v1/intake", {MKT}, MARKET),
    "intake_api.intake_paper": api("/api/v1/intake/paper", {MKT}, MARKET),
    # no such record: the check can only ask "may you read intake photos at all?"
    "intake_api.intake_photo": api(
        "/api/v1/intake/records/00000000-0000-4000-8000-000000000000/photo", {ADMIN, SUP, F_SUP}
    ),
    "intake_api.intake_ledger": api(
        "/api/v1/intake/ledger?market_id={market_a}", {ADMIN, SUP, MKT}
    ),
    "intake_api.intake_market": api(
        "/api/v1/intake/market?market_id={market_a}", {ADMIN, SUP, MKT}
    ),
    "intake_api.acknowledge": api("/api/v1/intake/alerts/999999/ack", {MKT}, MARKET),
    "intake_api.create_recall": api(
        "/api/v1/recalls", {ADMIN, SUP}, lambda ids: {"batch_id": ids["batch_a"], "reason": "r"}
    ),
    "intake_api.get_recall": api("/api/v1/recalls/{recall_a}", {ADMIN, SUP}),
    "intake_api.epcis_events": api("/api/v1/epcis/events?market_id={market_a}", {ADMIN, SUP, MKT}),
    # kiosk screen: a browser bound to a terminal by its set-up code, producers sign in
    # there with card/number and PIN; no role credential opens a producer's session
    "kiosk.setup": public("/kiosk/setup"),
    "kiosk.screen": public("/kiosk"),
    "kiosk.phone": public("/phone"),
    "kiosk.api_signin": Rule("public", lambda ids: "/kiosk/api/signin", NOBODY, lambda ids: {}),
    "kiosk.api_signout": Rule("public", lambda ids: "/kiosk/api/signout", EVERYONE, lambda ids: {}),
    "kiosk.api_catalog": Rule("public", lambda ids: "/kiosk/api/catalog", NOBODY),
    "kiosk.api_tests": Rule("public", lambda ids: "/kiosk/api/tests?product_id=1", NOBODY),
    "kiosk.api_issue": Rule("public", lambda ids: "/kiosk/api/issue", NOBODY, lambda ids: {}),
    "kiosk.api_job": Rule("public", lambda ids: "/kiosk/api/jobs/{job_a}".format(**ids), NOBODY),
    "kiosk.certificate_label": Rule(
        "public",
        lambda ids: "/kiosk/api/certificates/{certificate_a}/label.png".format(**ids),
        NOBODY,
    ),
    "kiosk.certificate_bytes": Rule(
        "public",
        lambda ids: "/kiosk/api/certificates/{certificate_a}/printer-bytes".format(**ids),
        NOBODY,
    ),
    "kiosk.certificate_labels_pdf": Rule(
        "public",
        lambda ids: "/kiosk/api/certificates/{certificate_a}/labels.pdf".format(**ids),
        NOBODY,
    ),
    "kiosk.preview": Rule("public", lambda ids: "/kiosk/api/preview.png", NOBODY),
    # compliance (检打联动): tests, cases, reference lists, refusals, credit
    "compliance.index": page("/compliance/", SIGNED_IN),
    "compliance.tests": page("/compliance/tests", SIGNED_IN),  # each sees its own rows
    # a producer always gets its own record book, whichever producer the address names
    "compliance.records": page(
        "/compliance/records?producer_id={producer_a}", {ADMIN, SUP, PROD, F_PROD}
    ),
    "compliance.cases": page("/compliance/cases", {ADMIN, SUP, F_SUP}),
    "compliance.case": page("/compliance/cases/{case_a}", {ADMIN, SUP, PROD}),
    "compliance.reference_lists": page("/compliance/reference", SIGNED_IN - {KIOSK}),
    "compliance.reference_toggle": page("/compliance/reference/pesticide/999999/toggle", {ADMIN}),
    "compliance.refusal_list": page("/compliance/refusals", {ADMIN, SUP, F_SUP, PROD, F_PROD}),
    "compliance.credit": page("/compliance/credit", {ADMIN, SUP, F_SUP}),
    "compliance_api.create_production_record": api(
        "/api/v1/production-records",
        {ADMIN, SUP, PROD},
        lambda ids: {"producer_id": ids["producer_a"]},
    ),
    "compliance_api.list_production_records": api(
        "/api/v1/production-records?producer_id={producer_a}", {ADMIN, SUP, PROD}
    ),
    "compliance_api.create_test": api(
        "/api/v1/tests", {ADMIN, SUP, RT, PROD}, lambda ids: {"producer_id": ids["producer_a"]}
    ),
    "compliance_api.get_test": api("/api/v1/tests/{test_a}", {ADMIN, SUP, RT, PROD}),
    "compliance_api.add_report": hidden(
        api("/api/v1/tests/{lab_test_a}/report", {ADMIN, SUP, RT, PROD}, lambda ids: {})
    ),
    "compliance_api.download_report": hidden(
        api("/api/v1/tests/{lab_test_a}/report/{report_a}", {ADMIN, SUP, RT, PROD})
    ),
    "compliance.add_report": hidden(
        page("/compliance/tests/{lab_test_a}/report", {ADMIN, SUP, RT, PROD})
    ),
    "compliance.report_file": hidden(
        page("/compliance/tests/{lab_test_a}/report/{report_a}", {ADMIN, SUP, RT, PROD})
    ),
    "compliance_api.list_cases": api("/api/v1/cases", {ADMIN, SUP, F_SUP}),
    "compliance_api.get_case": api("/api/v1/cases/{case_a}", {ADMIN, SUP, PROD}),
    "compliance_api.act_on_case": api("/api/v1/cases/{case_a}/close", {ADMIN, SUP}, lambda ids: {}),
    "compliance_api.get_reference": api("/api/v1/reference/pesticide", SIGNED_IN - {KIOSK}),
    "compliance_api.add_reference": api("/api/v1/reference/pesticide", {ADMIN}, lambda ids: {}),
    "compliance_api.update_reference": api(
        "/api/v1/reference/pesticide/999999", {ADMIN}, lambda ids: {}
    ),
    "compliance_api.list_refusals": api(
        "/api/v1/refusals?producer_id={producer_a}", {ADMIN, SUP, PROD}
    ),
    "compliance_api.get_credit": api("/api/v1/producers/{producer_a}/credit", {ADMIN, SUP}),
    "registry_api.list_registry": api("/api/v1/producers", {ADMIN, SUP, F_SUP, RT}),
    "registry_api.read_registry_entry": api(
        "/api/v1/producers/{producer_a}", {ADMIN, SUP, PROD, RT}
    ),
    "registry_api.register": api(
        "/api/v1/producers",
        {ADMIN, SUP},
        lambda ids: {
            "kind": "smallholder",
            "name": "矩阵测试",
            "id_number": "11010519491231002X",
            "division_code": "379901001201",
        },
    ),
    # a producer's products: who manages its bases manages them; reading as the registry
    # (product 2 is the demo's 香菇 of producer A, loaded first into an empty database)
    "registry_api.list_products": api(
        "/api/v1/producers/{producer_a}/products", {ADMIN, SUP, PROD, RT}
    ),
    "registry_api.create_product": api(
        "/api/v1/producers/{producer_a}/products",
        {ADMIN, SUP, PROD},
        lambda ids: {"name": "矩阵测试", "category": "vegetable"},
    ),
    "registry_api.read_product": api("/api/v1/products/2", {ADMIN, SUP, PROD, RT}),
    "registry_api.edit_product": api("/api/v1/products/2", {ADMIN, SUP, PROD}, lambda ids: {}),
    "registry_api.deactivate_product": api(
        "/api/v1/products/2/deactivate", {ADMIN, SUP, PROD}, lambda ids: {}
    ),
    "registry_api.reactivate_product": api(
        "/api/v1/products/2/reactivate", {ADMIN, SUP, PROD}, lambda ids: {}
    ),
    "admin.product_new": page("/admin/producers/{producer_a}/products/new", {ADMIN, SUP, PROD}),
    "admin.product_edit": page("/admin/products/2/edit", {ADMIN, SUP, PROD}),
    "admin.product_deactivate": page("/admin/products/2/deactivate", {ADMIN, SUP, PROD}),
    "admin.product_reactivate": page("/admin/products/2/reactivate", {ADMIN, SUP, PROD}),
    # admin pages
    "admin.index": page("/admin/", {ADMIN, SUP, PROD, RT, F_SUP, F_PROD}),
    "admin.producers": page("/admin/producers", {ADMIN, SUP, RT, F_SUP}),
    "admin.producer_new": page("/admin/producers/new", {ADMIN, SUP, F_SUP}),
    "admin.producer": page("/admin/producers/{producer_a}", {ADMIN, SUP, PROD, RT}),
    "admin.producer_edit": page("/admin/producers/{producer_a}/edit", {ADMIN, SUP}),
    "admin.producer_suspend": page("/admin/producers/{producer_a}/suspend", {ADMIN, SUP}),
    "admin.producer_reactivate": page("/admin/producers/{producer_a}/reactivate", {ADMIN, SUP}),
    "admin.base_new": page("/admin/producers/{producer_a}/bases/new", {ADMIN, SUP, PROD}),
    "admin.base_edit": page("/admin/bases/{base_a}/edit", {ADMIN, SUP, PROD}),
    "admin.producer_import": page("/admin/producers/import", {ADMIN, SUP, F_SUP}),
    "admin.users": page("/admin/users", {ADMIN}),
    "admin.user_new": page("/admin/users/new", {ADMIN}),
    "admin.user_deactivate": page("/admin/users/{user}/deactivate", {ADMIN}),
    "admin.user_activate": page("/admin/users/{user}/activate", {ADMIN}),
    "admin.user_password": page("/admin/users/{user}/password", {ADMIN}),
    "admin.tokens": page("/admin/tokens", {ADMIN}),
    "admin.token_new": page("/admin/tokens/new", {ADMIN}),
    "admin.token_revoke": page("/admin/tokens/{token}/revoke", {ADMIN}),
    "admin.audit": page("/admin/audit", {ADMIN}),
    "admin.audit_export": page("/admin/audit/export?format=csv", {ADMIN}),
    # a foreign supervisor gets through, to the townships in its own charge only
    "supervision.overview": page("/supervision/", {ADMIN, SUP, F_SUP}),
    "supervision.export": page("/supervision/export?format=csv", {ADMIN, SUP, F_SUP}),
    "supervision.sampling": page("/supervision/sampling", {ADMIN, SUP, F_SUP}),
    "supervision.cloned_codes": page("/supervision/cloned-codes", {ADMIN, SUP, F_SUP}),
    "supervision.code_scans": page("/supervision/scans", {ADMIN, SUP, F_SUP}),
    "supervision.sampling_export": page(
        "/supervision/sampling/export?format=csv", {ADMIN, SUP, F_SUP}
    ),
}


def endpoint_methods(app: Flask) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(rule.endpoint, set()).update((rule.methods or set()) - {"HEAD", "OPTIONS"})
    return found


def test_every_endpoint_has_a_rule(app: Flask) -> None:
    missing = sorted(set(endpoint_methods(app)) - set(RULES))
    assert not missing, f"endpoints without an access rule in the role matrix: {missing}"


def test_the_matrix_names_no_endpoint_that_does_not_exist(app: Flask) -> None:
    assert sorted(set(RULES) - set(endpoint_methods(app))) == []


def _signed_in(app: Flask, world: World, caller: str) -> FlaskClient:
    client = app.test_client()
    if caller != "anonymous":
        response = client.post(
            "/login", data={"username": world.usernames[caller], "password": PASSWORD}
        )
        assert response.status_code == 302, (caller, response.status_code)
    return client


def _refused(response: Any, channel: str, hidden: bool = False) -> bool:
    if response.status_code in (401, 403) or (hidden and response.status_code == 404):
        return True
    return (
        channel == "page"
        and response.status_code == 302
        and "/login" in response.headers.get("Location", "")
    )


def _call(
    client: FlaskClient, method: str, rule: Rule, ids: dict[str, Any], headers: dict[str, str]
) -> Any:
    url = rule.path(ids)
    if method == "GET":
        return client.get(url, headers=headers)
    if method not in ("POST", "GET"):
        return client.open(
            url, method=method, json=rule.body(ids) if rule.body else {}, headers=headers
        )
    body = rule.body(ids) if rule.body else {}
    if rule.channel == "page" or url.endswith("/intake/paper"):
        return client.post(url, data=body, headers=headers)
    return client.post(url, json=body, headers=headers)


def test_each_caller_gets_exactly_the_allowed_endpoints(app: Flask, world: World) -> None:
    methods = endpoint_methods(app)
    clients = {caller: _signed_in(app, world, caller) for caller in CALLERS}
    wrong: list[str] = []
    for endpoint, rule in sorted(RULES.items()):
        for method in sorted(methods.get(endpoint, ())):
            for caller in CALLERS:
                headers: dict[str, str] = {}
                client = clients[caller]
                if rule.channel != "page":
                    client = app.test_client()  # a token, never a session cookie
                    if caller != "anonymous" and rule.channel == "api":
                        headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
                response = _call(client, method, rule, world.ids, headers)
                assert response.status_code != 500, (endpoint, method, caller)
                let_in = not _refused(response, rule.channel, rule.hidden)
                if let_in != (caller in rule.allowed):
                    wrong.append(
                        f"{method} {endpoint} as {caller}: {response.status_code}, expected "
                        f"{'allowed' if caller in rule.allowed else 'refused'}"
                    )
    assert wrong == [], "\n".join(wrong)


def test_foreign_tenants_cannot_read_revoke_or_print_tenant_a_certificates(
    app: Flask, world: World
) -> None:
    """The headline rule on its own: nothing of tenant A is reachable from tenant B."""
    client = app.test_client()
    for caller in (F_PROD, F_SUP, F_MKT):
        headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
        for endpoint, method in (
            ("api.get_certificate", "GET"),
            ("api.revoke", "POST"),
            ("kiosk_api.enqueue", "POST"),
        ):
            response = _call(client, method, RULES[endpoint], world.ids, headers)
            assert response.status_code == 403, (caller, endpoint)


MENU = re.compile(r'<nav class="admin-nav[^"]*">(.*?)</nav>', re.S)
CARDS = re.compile(r'<ul class="cards">(.*?)</ul>', re.S)
LINK = re.compile(r'href="(/[^"?#]*)')
# the pages each role's menus offer on the compliance page (admin menu and compliance menu)
EXPECTED_MENUS = {
    # producer_new is a card on the landing page; only a producer issues on the phone page
    ADMIN: set(navigation.PAGES) - {"admin.producer_new", "kiosk.phone"},
    SUP: set(navigation.PAGES)
    - {"admin.producer_new", "admin.users", "admin.tokens", "admin.audit", "kiosk.phone"},
    PROD: {
        "admin.index",
        "kiosk.phone",
        "admin.certificates",
        "compliance.index",
        "compliance.records",
        "compliance.tests",
        "compliance.refusal_list",
        "compliance.reference_lists",
    },
    RT: {
        "admin.index",
        "admin.producers",
        "compliance.index",
        "compliance.tests",
        "compliance.reference_lists",
    },
    MKT: {"compliance.index", "compliance.reference_lists"},
    KIOSK: set(),
}
ROLE_OF = {F_SUP: SUP, F_PROD: PROD, F_MKT: MKT}


def _offered(html: str, part: re.Pattern[str], paths: dict[str, str]) -> set[str]:
    return {
        paths[link] for block in part.findall(html) for link in LINK.findall(block) if link in paths
    }


def test_menus_offer_only_pages_the_caller_may_open(app: Flask, world: World) -> None:
    """A link that answers 403 is a dead end: every page the menus or the landing page's
    cards offer opens for the caller, and each role is offered its own work (a rapid test operator once landed on six menu entries it could not open and
    no way to the test form)."""
    with app.test_request_context():
        url_of = {endpoint: url_for(endpoint) for endpoint in navigation.PAGES}
    paths = {url: endpoint for endpoint, url in url_of.items()}
    for caller in CALLERS[1:]:
        client = _signed_in(app, world, caller)
        menus = client.get("/compliance/")
        assert menus.status_code == 200, caller
        offered = _offered(menus.get_data(as_text=True), MENU, paths)
        assert offered == EXPECTED_MENUS[ROLE_OF.get(caller, caller)], caller
        landing = client.get("/admin/")
        if not _refused(landing, "page"):
            offered |= _offered(landing.get_data(as_text=True), CARDS, paths)
        dead = sorted(e for e in offered if client.get(url_of[e]).status_code != 200)
        assert dead == [], f"{caller} is offered pages that do not open"
    cards = _signed_in(app, world, RT).get("/admin/").get_data(as_text=True)
    assert {"compliance.tests", "compliance.index"} <= _offered(cards, CARDS, paths)
