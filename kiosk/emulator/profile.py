"""A document profile: the files, keys and behaviour of one emulated chip.

A profile is plain data, so it can be written to a directory and loaded again
(``python -m kiosk.emulator --profile DIR``): ``profile.json`` with the settings and every
file as ``mf/<FID>.bin`` / ``app/<FID>.bin``. Everything in it is TEST ONLY material made by
:mod:`kiosk.emulator.factory`.

It knows nothing of the chip's behaviour: :func:`kiosk.emulator.security.build_chip` turns a
profile into a chip, and :func:`kiosk.emulator.profiles.load_profile` finds one by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.emulator.chip import EDL_AID, EMRTD_AID, NO_QUIRKS, Quirks

# A contactless ATR as PC/SC part 3 builds it for an ISO 14443-4 card: TD1/TD2 announce
# T=0 then T=1, followed by the historical bytes and the check byte TCK (XOR of T0..last).
# The historical bytes start with category indicator '80' and carry the card capabilities
# compact-TLV '73' (ISO/IEC 7816-4 section 8.1.1.2.7); bit b7 ('40') of its third byte says
# "extended Lc and Le fields", which the reader adapter uses to pick extended length.
_CAPS_EXTENDED = bytes.fromhex("8073C021C0")
_CAPS_SHORT = bytes.fromhex("8073C02180")


def _atr(historical: bytes) -> bytes:
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes((tck,))


def atr_for(extended_length: bool, *, t0: bool = False) -> bytes:
    """The ATR of an emulated chip with or without extended length support.

    ``t0``: a chip that speaks only T=0 (ISO/IEC 7816-3 section 8.2.3: no TD1, so T=0 is
    implied and no check byte follows), with the short-length card capabilities.
    """
    if t0:
        return bytes((0x3B, len(_CAPS_SHORT))) + _CAPS_SHORT
    return _atr(_CAPS_EXTENDED if extended_length else _CAPS_SHORT)


DEFAULT_ATR = atr_for(extended_length=True)


@dataclass(frozen=True)
class ChipProfile:
    """Everything the emulator needs to play one document.

    ``mrz`` is the full MRZ (lines joined by newlines): BAC/BAP and PACE with an MRZ password
    derive their keys from it. ``pace`` lists PACE parameter sets the chip accepts (they
    must match EF.CardAccess), ``bac`` says whether the chip also answers BAC (or BAP in an
    eDL). ``aa_key`` and ``ca_key`` are the chip's private keys (PKCS#8 DER; TEST ONLY) for
    active and chip authentication; they need not match DG15/DG14 in the clone variants.
    ``card_access_sw``, when set, is the status word the chip answers to every SELECT or
    READ BINARY of EF.CardAccess instead of the file: older chips answer 6982, 6986, 6A86,
    6D00 or 6E00 there rather than 6A82 (the reader must then go on with BAC, 9303-11
    section 4.2 step 1).

    Reader and transport quirks: ``quirks`` (:class:`~kiosk.emulator.chip.Quirks`: T=0,
    SELECT and READ BINARY variants, a reader without extended length or with a small
    buffer); ``slow_ins`` maps an INS byte to extra seconds the chip takes for it (on top of
    ``delay_s`` for every APDU); ``drop_after_access`` makes the chip leave the field once,
    right after access control succeeded (the next command finds no card), and come back
    when pcscd has noticed (:data:`kiosk.emulator.server.REMOVAL_SETTLE_S`).
    """

    name: str
    description: str
    files: dict[int, bytes]
    mf_files: dict[int, bytes] = field(default_factory=dict)
    aid: bytes = EMRTD_AID
    extended_length: bool = True
    mrz: str = ""
    can: str | None = None
    bac: bool = True
    pace: tuple[str, ...] = ()
    aa_key: bytes | None = None
    ca_key: bytes | None = None
    protected: bool = True
    remove_after: int | None = None
    delay_s: float = 0.0
    card_access_sw: int | None = None
    quirks: Quirks = NO_QUIRKS
    slow_ins: dict[int, float] = field(default_factory=dict)
    drop_after_access: bool = False

    @property
    def is_edl(self) -> bool:
        """True for a driving licence (ISO/IEC 18013 eDL application)."""
        return self.aid == EDL_AID

    def with_changes(self, **changes: Any) -> ChipProfile:
        """Return a copy with some fields replaced (for faulty variants)."""
        return replace(self, **changes)

    # --- directory form -----------------------------------------------------------------
    def save(self, folder: Path) -> Path:
        """Write the profile to ``folder`` (created); returns it."""
        folder.mkdir(parents=True, exist_ok=True)
        for sub, files in (("mf", self.mf_files), ("app", self.files)):
            (folder / sub).mkdir(exist_ok=True)
            for fid, content in files.items():
                (folder / sub / f"{fid:04X}.bin").write_bytes(content)
        meta = {
            "name": self.name,
            "description": self.description,
            "test_only": "TEST ONLY - synthetic document, keys and signatures",
            "aid": self.aid.hex(),
            "extended_length": self.extended_length,
            "mrz": self.mrz,
            "can": self.can,
            "bac": self.bac,
            "pace": list(self.pace),
            "aa_key": self.aa_key.hex() if self.aa_key else None,
            "ca_key": self.ca_key.hex() if self.ca_key else None,
            "protected": self.protected,
            "remove_after": self.remove_after,
            "delay_s": self.delay_s,
            "card_access_sw": self.card_access_sw,
            "quirks": self.quirks.as_json(),
            "slow_ins": {f"{ins:02X}": seconds for ins, seconds in self.slow_ins.items()},
            "drop_after_access": self.drop_after_access,
        }
        (folder / "profile.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> ChipProfile:
        """Read a profile written by :meth:`save`."""
        meta = json.loads((folder / "profile.json").read_text("utf-8"))

        def files(sub: str) -> dict[int, bytes]:
            out: dict[int, bytes] = {}
            if (folder / sub).is_dir():
                for path in sorted((folder / sub).glob("*.bin")):
                    out[int(path.stem, 16)] = path.read_bytes()
            return out

        def key(name: str) -> bytes | None:
            value = meta.get(name)
            return bytes.fromhex(value) if value else None

        return cls(
            name=str(meta["name"]),
            description=str(meta.get("description", "")),
            files=files("app"),
            mf_files=files("mf"),
            aid=bytes.fromhex(meta.get("aid", EMRTD_AID.hex())),
            extended_length=bool(meta.get("extended_length", True)),
            mrz=str(meta.get("mrz", "")),
            can=meta.get("can"),
            bac=bool(meta.get("bac", True)),
            pace=tuple(meta.get("pace", ())),
            aa_key=key("aa_key"),
            ca_key=key("ca_key"),
            protected=bool(meta.get("protected", True)),
            remove_after=meta.get("remove_after"),
            delay_s=float(meta.get("delay_s", 0.0)),
            card_access_sw=meta.get("card_access_sw"),
            quirks=Quirks.from_json(meta.get("quirks")),
            slow_ins={int(ins, 16): float(s) for ins, s in meta.get("slow_ins", {}).items()},
            drop_after_access=bool(meta.get("drop_after_access", False)),
        )
