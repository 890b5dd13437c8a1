"""``kiosk doctor`` finds the vpcd reader through the real pcscd."""

from __future__ import annotations

from kiosk import doctor
from kiosk.config import Config, ReaderConfig
from kiosk.doctor import Status


def test_reader_found_and_a_missing_named_reader_warns(pcsc_stack):
    ok = doctor.check_reader(Config(reader=ReaderConfig(name=pcsc_stack.reader)))
    assert ok.status is Status.OK and pcsc_stack.reader in ok.params["readers"]
    missing = doctor.check_reader(Config(reader=ReaderConfig(name="No Such Reader 9000")))
    assert missing.status is Status.WARN and missing.message_key == "doctor.reader.missing"
