"""Request-body validation from the OpenAPI document (portal contract v1, DESIGN.md section 5).

The request-body schemas of ``resources/openapi/portal-v1.json`` *are* the validator: they
are loaded once at import and compiled into JSON Schema 2020-12 validators (the dialect
of OpenAPI 3.1), one per operation with a body. There is no second, hand-written
structural check: what the document says is what the portal enforces. Unknown fields
are rejected anywhere (``additionalProperties: false``): nothing like a BSN can ride
along by accident (DESIGN.md section 7).

What a JSON schema cannot say is a format checker registered with the validator:
``date`` (a real calendar date), ``date-time`` (RFC 3339 with a time zone), ``label``
(not blank, no control characters) and ``wid-name``/``wid-given-names`` (a name as a WID
holds it: :func:`kiosk.model.name_problem`, the desk's own rule). The one check that
needs the clock (a date of birth not in the future) is a small semantic pass in
:func:`validate_registration`. What needs the database (organisation, beheerder,
enrollment code) is checked by the store afterwards.

Each schema error becomes a :class:`Problem` naming the dotted field path, the shape of
the portal's 422 answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from kiosk.model import name_problem
from kiosk.paths import resource

OPENAPI_PATH = ("openapi", "portal-v1.json")
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$")
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request body: where (dotted path) and what."""

    path: str
    problem: str

    def to_json(self) -> dict[str, str]:
        """Return the problem as it appears in a 422 answer."""
        return {"path": self.path, "problem": self.problem}


# -- formats a JSON schema cannot express ----------------------------------------------

FORMATS = FormatChecker(formats=())
"""The format checker every request validator uses (only the formats registered here)."""

_NAME_PROBLEMS = {
    "hidden_characters": "contains control, bidi, invisible or surrogate characters",
    "too_long": f"longer than {MAX_NAME_LENGTH} characters",
    "empty": "must not be empty",
    "characters": "only Latin letters, marks, spaces, hyphens and apostrophes",
}


def _control(value: str) -> bool:
    return any(
        ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000 for ch in value
    )


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return True  # the schema's pattern says what is wrong with the shape
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_label(value: object) -> bool:
    return not isinstance(value, str) or (bool(value.strip()) and not _control(value))


def _is_name(value: object) -> bool:
    return not isinstance(value, str) or name_problem(value) is None


def _is_given_names(value: object) -> bool:
    # Some people have no given names; the WID then shows none.
    return not isinstance(value, str) or value == "" or name_problem(value) is None


FORMATS.checks("date")(_is_date)
FORMATS.checks("date-time")(_is_datetime)
FORMATS.checks("label")(_is_label)
FORMATS.checks("wid-name")(_is_name)
FORMATS.checks("wid-given-names")(_is_given_names)


def _format_problem(fmt: str, value: Any) -> str:
    if fmt in ("wid-name", "wid-given-names"):
        return _NAME_PROBLEMS[name_problem(value) or "characters"]
    if fmt == "label":
        return "must not be empty" if not value.strip() else "contains control characters"
    return {
        "date": "is not a calendar date",
        "date-time": "must be an RFC 3339 date-time with a time zone",
    }.get(fmt, f"is not a valid {fmt}")


# -- the document's request schemas -----------------------------------------------------


def load_document() -> dict[str, Any]:
    """The committed OpenAPI document, parsed."""
    document: dict[str, Any] = json.loads(resource(*OPENAPI_PATH).read_text("utf-8"))
    return document


def request_schemas(document: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``(METHOD, path template)`` -> the JSON schema of its request body in ``document``."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for template, item in document["paths"].items():
        for method in _HTTP_METHODS:
            body = item.get(method, {}).get("requestBody")
            if body is not None:
                found[(method.upper(), template)] = body["content"]["application/json"]["schema"]
    return found


def compile_validator(
    document: Mapping[str, Any], schema: Mapping[str, Any]
) -> Draft202012Validator:
    """A validator for ``schema`` with the document's ``#/components`` refs resolvable."""
    root = {**schema, "components": document["components"]}
    return Draft202012Validator(root, format_checker=FORMATS)


def request_validators(document: Mapping[str, Any]) -> dict[tuple[str, str], Draft202012Validator]:
    """One compiled validator per operation of ``document`` that takes a body."""
    return {key: compile_validator(document, s) for key, s in request_schemas(document).items()}


DOCUMENT: dict[str, Any] = load_document()
"""The OpenAPI document, loaded once; its schemas are the validators below."""
VALIDATORS: dict[tuple[str, str], Draft202012Validator] = request_validators(DOCUMENT)
"""The validator of each ``(METHOD, template)`` request body, built from :data:`DOCUMENT`."""
_REGISTRATION = ("PUT", "/v1/registrations/{registration_id}")


def validate_body(method: str, template: str, body: Any) -> list[Problem]:
    """Every problem of ``body`` against the document's request schema of this operation."""
    return problems_of(VALIDATORS[(method, template)], body)


def problems_of(validator: Draft202012Validator, body: Any) -> list[Problem]:
    """The schema errors of ``body`` as problems, one per field path and kind (in order)."""
    seen: dict[Problem, None] = {}
    for error in validator.iter_errors(body):
        for problem in _problems(error):
            seen.setdefault(problem, None)
    return list(seen)


def _path(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts)


def _problems(error: ValidationError) -> Iterator[Problem]:
    path = _path(error.absolute_path)
    prefix = f"{path}." if path else ""
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        for name in instance:
            if name not in known:
                yield Problem(f"{prefix}{name}", "unknown field")
    elif kind == "required":
        for name in value:
            if name not in instance:
                yield Problem(f"{prefix}{name}", "required")
    elif kind in ("oneOf", "anyOf"):
        # A nullable object: report the object branch's errors, not "is not null".
        inner = [
            sub
            for sub in error.context or []
            if not (sub.validator == "type" and not sub.relative_path)
        ]
        if inner:
            for sub in inner:
                yield from _problems(sub)
        else:
            yield Problem(path or "$", "has the wrong type")
    else:
        yield Problem(path or "$", _describe(kind, value, instance))


def _describe(kind: str, value: Any, instance: Any) -> str:
    if kind == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        article = {"object": "an object", "array": "an array", "integer": "an integer"}
        names = [article.get(k, "null" if k == "null" else f"a {k}") for k in kinds]
        return "must be " + " or ".join(names)
    if kind in ("enum", "const"):
        allowed = value if kind == "enum" else [value]
        return "must be one of " + ", ".join(str(v) for v in allowed)
    if kind == "minLength":
        return "must not be empty" if value == 1 else f"shorter than {value} characters"
    if kind == "maxLength":
        return f"longer than {value} characters"
    if kind in ("minimum", "maximum"):
        return f"must be {'at least' if kind == 'minimum' else 'at most'} {value}"
    if kind in ("minItems", "maxItems"):
        return f"must have {'at least' if kind == 'minItems' else 'at most'} {value} items"
    if kind == "pattern":
        return f"must match {value}"
    if kind == "format":
        return _format_problem(str(value), instance)
    return f"fails {kind}"


def validate_registration(body: Any, today: date) -> list[Problem]:
    """Return every problem with a registration PUT body (empty when it is well-formed).

    The document's ``Registration`` schema, then the one rule that needs the clock.
    """
    problems = validate_body(*_REGISTRATION, body)
    if problems:
        return problems
    born = date.fromisoformat(body["employee"]["date_of_birth"])
    if born > today:
        return [Problem("employee.date_of_birth", "lies in the future")]
    return []
