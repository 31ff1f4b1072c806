"""The certificate ``make run`` serves HTTPS with (``python manage.py ensure_tls_cert``).

A local certificate authority of its own signs one server certificate for the names this
machine is reached by (``localhost``, ``127.0.0.1``, ``::1`` and any ``--host``), as mkcert and
trustme do; clients trust the authority (``REQUESTS_CA_BUNDLE=var/tls/ca.pem``). The
authority's private key is never written: it signs this one certificate and is gone, so
trusting ``ca.pem`` trusts nothing else. Made with ``cryptography`` (pyca).

Files, in ``var/tls/`` by default:

- ``cert.pem``: the server certificate (daphne's ``certKey``);
- ``key.pem``: its private key, readable by its owner only (daphne's ``privateKey``);
- ``ca.pem``: the authority's certificate, what clients trust.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_DAYS = 397  # the longest a browser accepts for a server certificate
RENEW_BEFORE = datetime.timedelta(days=30)
LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")

Name = x509.DNSName | x509.IPAddress


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def certificate(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def key(self) -> Path:
        return self.directory / "key.pem"

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"


def valid_host(host: str) -> bool:
    """An IP address, or a DNS name (``rollwright.example``, ``*.example``)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        if labels[0] == "*" and len(labels) > 2:
            labels = labels[1:]
        return len(host) <= 253 and all(LABEL.match(label) for label in labels)
    return True


def subject_name(host: str) -> Name:
    """``127.0.0.1`` and ``::1`` as IP addresses, anything else as a DNS name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def why_renew(files: TlsFiles, hosts: Sequence[str], now: datetime.datetime) -> str | None:
    """Why the certificate must be made again (missing, unreadable, expiring within 30 days,
    not naming a host, not matching its key), or None when it serves as it is."""
    if not (files.certificate.exists() and files.key.exists() and files.ca.exists()):
        return "no certificate yet"
    try:
        certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
        key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    except ValueError:
        return "the certificate or its key is unreadable"
    if certificate.not_valid_after_utc - now < RENEW_BEFORE:
        return f"it expires on {certificate.not_valid_after_utc:%Y-%m-%d}"
    if _public(certificate.public_key()) != _public(key.public_key()):
        return "the key does not match the certificate"
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    missing = [host for host in hosts if subject_name(host) not in names]
    if missing:
        return f"it does not name {', '.join(missing)}"
    return None


def _public(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def make_certificate(
    files: TlsFiles, hosts: Sequence[str], now: datetime.datetime, days: int = DEFAULT_DAYS
) -> None:
    """Write ``ca.pem``, ``cert.pem`` and ``key.pem`` (see the module's docstring)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Rollwright"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Rollwright local CA {now:%Y-%m-%d %H:%M}"),
        ]
    )
    start = now - datetime.timedelta(minutes=5)  # a client's clock a little behind
    ca_certificate = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Rollwright"),
                    x509.NameAttribute(NameOID.COMMON_NAME, hosts[0]),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([subject_name(host) for host in hosts]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files.directory.mkdir(parents=True, exist_ok=True)
    _write(
        files.key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        private=True,
    )
    _write(files.certificate, certificate.public_bytes(serialization.Encoding.PEM))
    _write(files.ca, ca_certificate.public_bytes(serialization.Encoding.PEM))


def _usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, content: bytes, *, private: bool = False) -> None:
    """Written whole or not at all (a temporary file renamed over the old one)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)  # a leftover would keep its own permissions
    descriptor = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644
    )
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)
