"""vCenter sessions against real simulators: TLS verified unless turned off, a lost login
renewed once without the caller noticing."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from collectors.base import Collector
from collectors.vsphere import datacenters, vms
from collectors.vsphere.config import VCenterConfig, VSphereConfig
from collectors.vsphere.source import VSphereSource
from dev.demo import vsphere as demo
from dev.stack import Stack
from tests.conftest import TEST_PORTS, vcsim_port

TLS_HOST = "127.0.0.2"  # pyVmomi skips verification for "localhost" and 127.0.0.1 by itself
TLS_PORT = TEST_PORTS.vcsim + 10


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={TLS_HOST}",
         "-addext", f"subjectAltName=IP:{TLS_HOST}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_vcsim(stack: Stack, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    flags = ("-dc", "1", "-cluster", "0", "-standalone-host", "1", "-vm", "1")
    login = ("-username", demo.USER, "-password", demo.PASSWORD)
    tls = ("-tlscert", str(cert), "-tlskey", str(key))
    stack.start(stack.vcsim("vcsim-tls", TLS_PORT, (*flags, *login, *tls), host=TLS_HOST))


def _config(**options: Any) -> VCenterConfig:
    base = {"name": "tls", "host": TLS_HOST, "port": TLS_PORT, "user": demo.USER}
    return VCenterConfig(**base, password=demo.PASSWORD, **options)


def _collect(source: VSphereSource, collector: Collector, name: str) -> list[dict]:
    with source.open(collector.kind, {"vcenter": name}) as session:
        return [record for page in collector.collect(session) for record in page]


def test_an_untrusted_certificate_fails_for_good_with_what_to_do(tls_vcsim: None) -> None:
    source = VSphereSource(VSphereConfig(vcenters=[_config()]))
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        _collect(source, datacenters.COLLECTOR, "tls")
    assert source.is_permanent(caught.value)
    assert "give its CA as ca_file" in source.describe(caught.value)


def test_the_ca_file_makes_the_certificate_trusted(
    tls_vcsim: None, certificate: tuple[Path, Path]
) -> None:
    source = VSphereSource(VSphereConfig(vcenters=[_config(ca_file=certificate[0])]))
    assert [r["name"] for r in _collect(source, datacenters.COLLECTOR, "tls")] == ["DC0"]


def test_verification_is_off_only_when_asked(tls_vcsim: None) -> None:
    source = VSphereSource(VSphereConfig(vcenters=[_config(verify_tls=False)]))
    assert len(_collect(source, datacenters.COLLECTOR, "tls")) == 1


def test_a_lost_login_session_is_renewed_once_transparently(vcenters) -> None:
    config = VCenterConfig(**demo.vcenters_config(vcsim_port("vc-a"), "vc-a")[0])
    source = VSphereSource(VSphereConfig(vcenters=[config]))
    first = _collect(source, vms.COLLECTOR, "vc-a")
    connection = source.connection("vc-a")
    old = connection.service()
    old.content.sessionManager.Logout()  # as a vCenter restart or an idle timeout would
    again = _collect(source, vms.COLLECTOR, "vc-a")
    assert connection.service() is not old
    assert sorted(r["uid"] for r in again) == sorted(r["uid"] for r in first)
