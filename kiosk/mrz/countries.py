"""The three-letter codes an MRZ may carry as issuing state or nationality (ICAO 9303-3 5).

9303-3 section 5 Part A takes the codes from ISO 3166-1 alpha-3 and lists the exceptions;
Parts B-H add the EU, UN, other issuing authorities, persons without a defined nationality,
deprecated ISO codes, the specimen code ``UTO`` and ICAO's own ``IAO``. An MRZ whose issuing
state or nationality is not one of these was misread (or forged): the OCR decoder and the
parser both refuse it instead of reporting "NLD" read as "MLD" as valid.

The ISO list below is ISO 3166-1 as published in the ``pycountry`` package 26.2.16 (249
codes); tests/unit/mrz/test_countries.py compares it with the installed pycountry, so an ISO
update shows up as a failing test rather than as a silently refused document.
"""

from __future__ import annotations

#: ISO 3166-1 alpha-3 (9303-3 section 5 Part A).
ISO_3166_ALPHA3 = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
    BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN
    CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU
    EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB
    GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL
    ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO
    LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR
    MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
    PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM
    SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK
    TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM
    VUT WLF WSM YEM ZAF ZMB ZWE
    """.split()  # noqa: SIM905 - the table reads better as words
)

#: 9303-3 section 5: exceptions (Part A), other ISO-reserved (B), UN (C), other issuing
#: authorities (D), no defined nationality (E), deprecated ISO (F), specimens (G), ICAO (H).
ICAO_EXTRA_CODES = frozenset(
    {
        "D", "GBD", "GBN", "GBO", "GBP", "GBS", "RKS",
        "EUE",
        "UNO", "UNA", "UNK",
        "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XPO", "XES", "XMP", "XOM", "XDC",
        "XXA", "XXB", "XXC", "XXX",
        "ANT", "NTZ",
        "UTO",
        "IAO",
    }
)  # fmt: skip

MRZ_STATE_CODES = ISO_3166_ALPHA3 | ICAO_EXTRA_CODES


def is_state_code(field: str) -> bool:
    """True when an MRZ state field (3 characters, fillers allowed: ``D<<``) is a 9303 code."""
    return field.replace("<", "") in MRZ_STATE_CODES
