"""The portal's strict registration validator: total on any JSON, exact on types and fields."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.portal.validation import validate_registration

TODAY = date(2026, 11, 28)
VALID: dict[str, Any] = {
    "organisation_id": "org-1",
    "employee": {"given_names": "Anna Maria", "surname": "Eriksson", "date_of_birth": "1974-08-12"},
    "wid_check": {
        "document_type": "driving_licence",
        "issuing_country": "NLD",
        "document_number": "5123456789",
        "expiry_date": "2032-04-15",
        "method": "mrz_reader",
        "chip": None,
        "photo_compared": False,
        "checked_at": "2026-11-28T10:15:00.123+01:00",
        "checked_by": "demo-beheerder",
    },
    "enrollment_code": None,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def test_valid_body_passes_and_enrollment_code_is_optional():
    assert validate_registration(VALID, TODAY) == []
    without = copy.deepcopy(VALID)
    del without["enrollment_code"]
    assert validate_registration(without, TODAY) == []
    no_given = copy.deepcopy(VALID)
    no_given["employee"]["given_names"] = ""
    assert validate_registration(no_given, TODAY) == []


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes_and_is_rejected(value: Any):
    assert validate_registration(value, TODAY)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["", "employee", "wid_check"]),
    st.text(min_size=1, max_size=15),
    json_values,
)
def test_any_extra_field_is_rejected(where: str, name: str, value: Any):
    data = copy.deepcopy(VALID)
    target = data[where] if where else data
    if name in target:
        return
    target[name] = value
    problems = validate_registration(data, TODAY)
    assert [p.problem for p in problems] == ["unknown field"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(VALID["wid_check"])), json_values)
def test_replacing_a_wid_field_never_crashes(name: str, value: Any):
    data = copy.deepcopy(VALID)
    data["wid_check"][name] = value
    validate_registration(data, TODAY)
