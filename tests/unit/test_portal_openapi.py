"""The committed OpenAPI document is valid and describes exactly the portal's routes."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from kiosk.paths import resource
from kiosk.portal.server import ROUTES
from kiosk.portal.validation import validate_registration

DOC: dict[str, Any] = json.loads(resource("openapi", "portal-v1.json").read_text("utf-8"))
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def schema_validator(name: str) -> Draft202012Validator:
    """A validator for ``#/components/schemas/<name>`` with the document's refs resolvable."""
    return Draft202012Validator(
        {"components": DOC["components"], "$ref": f"#/components/schemas/{name}"}
    )


def test_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def test_routes_and_document_list_the_same_operations():
    served = {(route.method, route.template) for route in ROUTES}
    documented = {
        (method.upper(), path)
        for path, item in DOC["paths"].items()
        for method in item
        if method in METHODS
    }
    assert served == documented


def test_document_security_matches_route_auth():
    for route in ROUTES:
        operation = DOC["paths"][route.template][route.method.lower()]
        schemes = {name for requirement in operation["security"] for name in requirement}
        expected = {
            None: set(),
            "beheerder": {"beheerderToken"},
            "device": {"deviceToken"},
            "any": {"beheerderToken", "deviceToken"},
        }[route.auth]
        assert schemes == expected, route


SAMPLE: dict[str, Any] = DOC["components"]["schemas"]["Registration"]["examples"][0]


def _mutations() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []

    def case(label: str, edit: Any) -> None:
        data = copy.deepcopy(SAMPLE)
        edit(data)
        cases.append((label, data))

    case("bsn at top", lambda d: d.__setitem__("bsn", "999999990"))
    case("bsn in employee", lambda d: d["employee"].__setitem__("bsn", "999999990"))
    case("mrz in wid_check", lambda d: d["wid_check"].__setitem__("mrz", "P<NLD..."))
    case("photo in chip", lambda d: d["wid_check"]["chip"].__setitem__("photo", "..."))
    case("bad enum", lambda d: d["wid_check"].__setitem__("method", "guess"))
    case("bad access", lambda d: d["wid_check"]["chip"].__setitem__("access", "EAC"))
    case("number type", lambda d: d["employee"].__setitem__("surname", 7))
    case("bool type", lambda d: d["wid_check"].__setitem__("photo_compared", "yes"))
    case("bad date", lambda d: d["wid_check"].__setitem__("expiry_date", "15-04-2032"))
    case("missing field", lambda d: d["employee"].pop("date_of_birth"))
    case("bad country", lambda d: d["wid_check"].__setitem__("issuing_country", "nl"))
    case("bad number", lambda d: d["wid_check"].__setitem__("document_number", "L89 8902"))
    return cases


def test_sample_is_valid_for_schema_and_server():
    assert list(schema_validator("Registration").iter_errors(SAMPLE)) == []
    assert validate_registration(SAMPLE, date(2026, 11, 28)) == []


@pytest.mark.parametrize(("label", "data"), _mutations(), ids=[c[0] for c in _mutations()])
def test_schema_and_server_both_reject(label: str, data: dict[str, Any]):
    assert list(schema_validator("Registration").iter_errors(data)), label
    assert validate_registration(data, date(2026, 11, 28)), label


def test_every_request_body_schema_of_the_document_is_the_validator():
    from kiosk.portal.app import ROUTES as APP_ROUTES
    from kiosk.portal.validation import DOCUMENT, VALIDATORS, problems_of, request_validators

    with_body = {(r.method, r.template) for r in APP_ROUTES if r.body}
    assert set(VALIDATORS) == with_body
    for (method, template), validator in VALIDATORS.items():
        documented = DOC["paths"][template][method.lower()]["requestBody"]
        schema = documented["content"]["application/json"]["schema"]
        assert validator.schema["$ref"] == schema["$ref"]
        assert validator.schema["components"] is DOCUMENT["components"]
    # Change the document: the validators built from it change with it.
    edited = copy.deepcopy(DOCUMENT)
    edited["components"]["schemas"]["CodesRequest"]["properties"]["count"]["maximum"] = 5
    codes = ("POST", "/v1/enrollment-codes")
    assert problems_of(VALIDATORS[codes], {"count": 7}) == []
    assert [p.path for p in problems_of(request_validators(edited)[codes], {"count": 7})] == [
        "count"
    ]
