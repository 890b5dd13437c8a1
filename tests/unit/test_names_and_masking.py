"""Names a WID can hold, masked reprs and masked names in logs (issue 10 items 3 and 6)."""

from __future__ import annotations

import io
import json
import logging
from datetime import date

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.log import configure_logging, mask_name
from kiosk.model import Employee, name_problem
from tests.unit.store.factories import make_registration

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    "name", ["Jan", "'t Hart", "O'Brien-Müller", "Zoë", "Ĳsbrand", "van den Berg", "Nguyễn"]
)
def test_real_names_pass(name):
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Jan\u202e", "hidden_characters"),
        ("\u200b", "hidden_characters"),
        ("Ja\u0000n", "hidden_characters"),
        ("A\ud800", "hidden_characters"),
        ("Ivan Иванов", "characters"),
        ("J4n", "characters"),
        ("-Jan", "characters"),
        ("\u0301", "characters"),
        ("   ", "empty"),
        ("a" * 101, "too_long"),
    ],
)
def test_names_no_wid_holds_are_refused(name, problem):
    assert name_problem(name) == problem


def test_the_desk_refuses_hidden_characters_with_a_translated_message():
    problems = Employee("Anna\u200b", "Eriksson", date(1974, 8, 12)).validate(TODAY)
    assert [p.message_key for p in problems] == ["employee.error.name_hidden"]
    assert "onzichtbare" in problems[0].translated()


def test_reprs_mask_names_birth_date_and_code():
    reg = make_registration()
    text = repr(reg)
    employee = reg.employee
    for secret in (employee.given_names, employee.surname, employee.date_of_birth.isoformat()):
        assert secret not in text
    assert repr(employee).startswith("Employee(given_names=")


def test_log_filter_masks_names():
    stream = io.StringIO()
    handler = configure_logging(stream=stream)
    try:
        log = logging.getLogger("kiosk.test")
        log.info("employee surname=Eriksson given_names='Anna Maria'", extra={"surname": "Visser"})
    finally:
        for name in ("kiosk", "ui"):
            logging.getLogger(name).removeHandler(handler)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert "Eriksson" not in entry["message"] and "Anna" not in entry["message"]
    assert entry["surname"] == mask_name("Visser") == "V***"


def test_config_refuses_plain_http_to_another_machine(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[portal]\nurl = "http://portal.example.nl"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ={})
    assert refused.value.message_key == "config.error.url_plain"
    assert "https://" in refused.value.translated()
    path.write_text('[portal]\nurl = "http://127.0.0.1:8443"\n')
    assert load_config(path, environ={}).portal.url == "http://127.0.0.1:8443"
