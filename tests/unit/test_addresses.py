"""Where a tenant's key may go: HTTPS to a public host; never a private, link-local or metadata
address, by name or once resolved; this machine only when the settings allow it. No request is
made: names resolve through a table."""

from __future__ import annotations

import pytest

from matrix.addresses import AddressRefused, check

NAMES = {
    "evolution.example.com": ["93.184.216.34"],
    "rebound.example.com": ["93.184.216.34", "10.1.2.3"],
    "inside.example.com": ["fd12:3456::1"],
    "localhost": ["127.0.0.1", "::1"],
    "nowhere.example.com": [],
}


def _resolve(host: str, _port: int) -> list[str]:
    return NAMES[host]


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data", "https://169.254.170.2", "https://[fd00:ec2::254]",
    "https://metadata.google.internal/computeMetadata", "https://METADATA.google.internal.",
    "https://10.0.0.7", "https://172.16.5.4", "https://192.168.0.1", "https://100.64.0.1",
    "https://0.0.0.0", "https://[::]", "https://[fe80::1]", "https://[fc00::1]", "https://224.0.0.1",
    "https://[::ffff:10.0.0.1]", "https://[64:ff9b::a9fe:a9fe]", "https://rebound.example.com",
    "https://inside.example.com", "https://nowhere.example.com", "https://127.0.0.1",
    "http://localhost:8080", "https://[::1]",
])  # fmt: skip
def test_check_refuses_private_link_local_metadata_and_loopback(url: str) -> None:
    with pytest.raises(AddressRefused) as info:
        check(url, allow_loopback=False, resolver=_resolve)
    assert "Set the URL of a service on a public host" in str(info.value)


@pytest.mark.parametrize("url", [
    "http://evolution.example.com", "ftp://evolution.example.com", "evolution.example.com",
    "https://", "https://evolution.example.com:99999", "https://[::1", "https://[not-an-ip]",
])  # fmt: skip
def test_check_refuses_what_is_not_an_https_url(url: str) -> None:
    with pytest.raises(AddressRefused):
        check(url, allow_loopback=False, resolver=_resolve)


def test_check_accepts_https_to_a_public_host() -> None:
    check("https://evolution.example.com/api", allow_loopback=False, resolver=_resolve)
    check("https://93.184.216.34:8443", allow_loopback=False, resolver=_resolve)


def test_check_accepts_this_machine_only_when_allowed() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "https://[::1]"):
        check(url, allow_loopback=True, resolver=_resolve)
    with pytest.raises(AddressRefused):
        check("http://169.254.169.254", allow_loopback=True, resolver=_resolve)


def test_refusal_never_shows_the_url_password() -> None:
    with pytest.raises(AddressRefused) as info:
        check(
            "ftp://user:s3cret-pass@evolution.example.com", allow_loopback=False, resolver=_resolve
        )
    assert "s3cret-pass" not in str(info.value)
