"""The MRZ state codes against ISO 3166-1 as an outside source publishes it (pycountry)."""

from __future__ import annotations

import pycountry

from kiosk.mrz.countries import ICAO_EXTRA_CODES, ISO_3166_ALPHA3, is_state_code


def test_iso_list_equals_pycountry():
    assert {c.alpha_3 for c in pycountry.countries} == ISO_3166_ALPHA3


def test_9303_part_3_extra_codes():
    # 9303-3 section 5 names these outside ISO 3166-1; D is Germany, RKS Kosovo, UTO the
    # specimen state, XXA-XXX persons without a defined nationality.
    assert {"D", "RKS", "EUE", "UNO", "UNA", "UNK", "XXA", "XXB", "XXC", "XXX", "UTO"} <= (
        ICAO_EXTRA_CODES
    )
    assert not ICAO_EXTRA_CODES & ISO_3166_ALPHA3 - {"ANT", "NTZ"}


def test_fillers_and_misreads():
    assert is_state_code("NLD") and is_state_code("D<<") and is_state_code("UTO")
    assert not is_state_code("MLD") and not is_state_code("UT0") and not is_state_code("<<<")
