"""``portal.ca_file``: a portal under an organisation's own CA, over real HTTPS.

The portal serves a certificate from a private CA (trustme). The kiosk's commands reach it
only when ``portal.ca_file`` names that CA's PEM; without it (public CAs only) the same
portal is refused, and an unreadable CA file is a translated refusal, never a fallback to
the default check.
"""

from __future__ import annotations

import io
import json
import ssl
from dataclasses import replace

import pytest
import trustme

from kiosk import i18n
from kiosk.cli.main import main
from kiosk.config import Config, PortalConfig
from kiosk.doctor import check_portal
from kiosk.errors import InputError
from kiosk.portal import PortalServer
from kiosk.sync.api import PortalUnreachable
from kiosk.sync.client import PortalClient, portal_verify


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA(organization_name="Zorggroep Oost interne CA")


@pytest.fixture
def tls_portal(authority: trustme.CA):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with PortalServer(None, tls=context) as server:
        server.seed_demo()
        yield server


@pytest.fixture
def ca_pem(authority: trustme.CA, tmp_path):
    path = tmp_path / "zorggroep-ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return path


def config_for(url: str, ca_file: str = "") -> Config:
    return replace(Config(), portal=PortalConfig(url=url, ca_file=ca_file))


def test_the_configured_ca_is_the_one_the_kiosk_trusts(tls_portal, ca_pem):
    with PortalClient.for_config(config_for(tls_portal.url, str(ca_pem))) as client:
        assert client.sign_in("demo", "demo").beheerder_name == "Demo Beheerder"
    # The same portal without the CA file: the public CAs do not know it.
    with (
        PortalClient.for_config(config_for(tls_portal.url)) as client,
        pytest.raises(PortalUnreachable),
    ):
        client.sign_in("demo", "demo")


def test_doctor_checks_the_portal_with_the_ca_file(tls_portal, ca_pem):
    [ok, _clock] = check_portal(config_for(tls_portal.url, str(ca_pem)))
    assert (ok.status.value, ok.message_key) == ("ok", "doctor.portal.ok")
    [refused] = check_portal(config_for(tls_portal.url))
    assert refused.message_key == "doctor.portal.unreachable"


@pytest.mark.parametrize("content", [None, b"", b"not a certificate\n"])
def test_an_unreadable_ca_file_is_refused_not_ignored(tls_portal, tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    config = config_for(tls_portal.url, str(path))
    with pytest.raises(InputError) as refused:
        portal_verify(config)
    assert refused.value.message_key == "portal.error.ca_file"
    assert str(path) in refused.value.translated()
    assert str(path) in i18n.tr("portal.error.ca_file", lang="en", path=str(path))
    [check] = check_portal(config)
    assert (check.status.value, check.message_key) == ("fail", "portal.error.ca_file")


def test_sync_enroll_and_once_use_the_ca_file(tls_portal, ca_pem, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_PORTAL_URL", tls_portal.url)
    monkeypatch.setenv("KIOSK_PORTAL_CA_FILE", str(ca_pem))
    monkeypatch.setattr("sys.stdin", io.StringIO("demo\n"))
    assert main(["sync", "enroll", "--username", "demo", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["sync", "once", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["codes_added"] == 5
    monkeypatch.setenv("KIOSK_PORTAL_CA_FILE", str(tmp_path / "missing.pem"))
    assert main(["sync", "once", "--json"]) == 2
    assert "missing.pem" in capsys.readouterr().err
