"""A1: ``manage.py ensure_tls_cert`` makes ``make run``'s HTTPS certificate once, and a client
that trusts ``ca.pem`` (``REQUESTS_CA_BUNDLE``) verifies it for each name it covers."""

from __future__ import annotations

import datetime
import ssl
import stat
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command
from django.utils import timezone

from rollout.tls import TlsFiles, why_renew


def ensure(directory: Path, *args: str) -> str:
    out = StringIO()
    call_command("ensure_tls_cert", "--dir", str(directory), *args, stdout=out)
    return out.getvalue()


def names_of(files: TlsFiles) -> list[str]:
    certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
    extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return [str(name.value) for name in extension.value]


def test_a1_it_writes_the_certificate_its_key_and_the_authority(tmp_path: Path) -> None:
    said = ensure(tmp_path)
    files = TlsFiles(tmp_path)
    assert "written" in said and f"REQUESTS_CA_BUNDLE={files.ca}" in said
    assert names_of(files) == ["localhost", "127.0.0.1", "::1"]
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    # What a client does with REQUESTS_CA_BUNDLE: the authority verifies the certificate.
    authority = x509.load_pem_x509_certificate(files.ca.read_bytes())
    certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
    certificate.verify_directly_issued_by(authority)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(files.certificate, files.key)  # what daphne loads: they match
    client = ssl.create_default_context(cafile=str(files.ca))
    assert client.cert_store_stats()["x509_ca"] == 1


def test_a1_it_is_made_once_and_kept(tmp_path: Path) -> None:
    ensure(tmp_path)
    files = TlsFiles(tmp_path)
    before = files.certificate.read_bytes(), files.ca.read_bytes()
    assert "kept" in ensure(tmp_path)
    assert (files.certificate.read_bytes(), files.ca.read_bytes()) == before
    assert "written (--force)" in ensure(tmp_path, "--force")
    assert files.certificate.read_bytes() != before[0]


def test_a1_a_new_host_makes_it_again_naming_every_host(tmp_path: Path) -> None:
    ensure(tmp_path)
    said = ensure(tmp_path, "--host", "rollwright.example", "--host", "10.1.2.3")
    assert "does not name rollwright.example, 10.1.2.3" in said
    assert names_of(TlsFiles(tmp_path))[-2:] == ["rollwright.example", "10.1.2.3"]


def test_a1_it_is_made_again_before_it_expires_or_when_the_key_is_lost(tmp_path: Path) -> None:
    ensure(tmp_path, "--days", "45")
    files, now = TlsFiles(tmp_path), timezone.now()
    hosts = ["localhost"]
    assert why_renew(files, hosts, now) is None
    assert "expires" in str(why_renew(files, hosts, now + datetime.timedelta(days=20)))
    files.key.unlink()
    assert why_renew(files, hosts, now) == "no certificate yet"


def test_a1_a_bad_host_or_lifetime_is_refused_and_nothing_written(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="neither a host name nor an address"):
        ensure(tmp_path, "--host", "not a host/")
    with pytest.raises(CommandError, match="--days"):
        ensure(tmp_path, "--days", "5")
    assert not tmp_path.joinpath("cert.pem").exists()
