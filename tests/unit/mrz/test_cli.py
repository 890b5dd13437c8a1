"""``kiosk mrz parse``: exit codes 0 valid / 1 invalid / 2 not an MRZ, text and JSON output."""

from __future__ import annotations

import io
import json

import pytest

from kiosk import i18n
from kiosk.cli.main import build_parser, main
from kiosk.cli.mrz import run_parse, run_read

NL_PASSPORT = (
    "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<|SPECI20142NLD6503101F2401151999999990<<<<<82"
)
NL_ID_CARD = (
    "I<NLDSPECI20212999999990<<<<<8|6503101F3108022NLD<<<<<<<<<<<8|DE<BRUIJN<<WILLEKE<LISELOTTE<<"
)
D2_BAD_COMPOSITE = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<|L898902C<3UTO6908061F9406236<<<<<<<8"
JSON_KEYS = {
    "format",
    "valid",
    "document_code",
    "document_type",
    "issuing_country",
    "document_number",
    "surname",
    "given_names",
    "name_truncated",
    "nationality",
    "birth_date",
    "sex",
    "expiry_date",
    "checks",
    "corrections",
    "ambiguous",
    "alternatives",
    "problems",
    "access_key",
}


def test_valid_json_has_the_documented_keys_and_no_bsn(capsys):
    assert main(["mrz", "parse", "--json", NL_PASSPORT]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    assert data["document_number"] == "SPECI2014" and data["document_type"] == "passport"
    # MRZ_information: number + check, birth + check, expiry + check (9303-11 section 4.3.2).
    assert data["access_key"] == {"kind": "bac_pace", "seed": "SPECI2014265031012401151"}
    assert "999999990" not in out


def test_id_card_text_output_has_no_bsn(capsys):
    assert main(["mrz", "parse", NL_ID_CARD]) == 0
    out = capsys.readouterr().out
    assert "SPECI2021" in out and "999999990" not in out
    assert i18n.tr("mrz.cli.valid") in out


def test_invalid_exits_1_with_reasons(capsys):
    assert main(["mrz", "parse", D2_BAD_COMPOSITE]) == 1
    out = capsys.readouterr().out
    assert i18n.tr("mrz.cli.invalid") in out
    assert i18n.tr("mrz.problem.check_digit.composite") in out


def test_invalid_json_lists_problems(capsys):
    assert main(["mrz", "parse", "--json", D2_BAD_COMPOSITE]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert data["problems"] == [
        {"key": "mrz.problem.check_digit.composite", "params": {"field": "composite"}}
    ]
    assert data["checks"]["composite"] == {"valid": False, "found": "8", "expected": "2"}


@pytest.mark.parametrize("flag", [[], ["--json"]])
def test_not_an_mrz_exits_2(flag, capsys):
    assert main(["mrz", "parse", *flag, "not an mrz"]) == 2
    out = capsys.readouterr().out
    if flag:
        assert json.loads(out)["error"] == {"key": "mrz.error.not_mrz", "reason": "length"}
    else:
        assert i18n.tr("mrz.error.not_mrz") in out


def test_dash_reads_stdin():
    args = build_parser().parse_args(["mrz", "parse", "--json", "-"])
    stdin = io.StringIO(NL_PASSPORT.replace("|", "\n") + "\n")
    stdout = io.StringIO()
    assert run_parse(args, stdin=stdin, stdout=stdout) == 0
    assert json.loads(stdout.getvalue())["surname"] == "DE BRUIJN"


def test_no_correct_flag(capsys):
    misread = NL_PASSPORT.replace("6503101F", "65O3101F")
    assert main(["mrz", "parse", "--json", misread]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert fixed["corrections"] == [
        {"line": 2, "column": 16, "field": "birth_date", "from": "O", "to": "0"}
    ]
    assert main(["mrz", "parse", "--no-correct", misread]) == 1


def test_read_subcommand_arguments_are_registered():
    args = build_parser().parse_args(["mrz", "read", "--json", "a.png", "b.jpg"])
    assert args.handler is run_read and args.json and args.paths == ["a.png", "b.jpg"]
