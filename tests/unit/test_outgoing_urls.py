"""The URLs a tenant sets (``openai.base_url``, ``integrations.crm_evolution.base_url``): HTTPS to a
public host only, refused by name when the config is saved and again after DNS at every
connection. Names resolve through a table at the resolver; tests reach 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from matrix import addresses
from matrix.concierge.runtime_config import normalize
from matrix.config import Settings
from matrix.errors import ProviderError, UsageError
from matrix.modules.crm.outbound import TransportError
from matrix.providers import ProviderRequest, TenantAI, select_provider
from matrix.providers.evolution import EvolutionTransport
from matrix.providers.guard import Guard
from matrix.providers.openai import OpenAIProvider
from matrix.testing.gateway import EvolutionGateway
from matrix.testing.openai_server import OpenAIServer

KEY = "sk-tenant-0123456789abcdefSECRET"
FIELDS = ("openai.base_url", "integrations.crm_evolution.base_url")
REFUSED = [
    "http://169.254.169.254/latest", "https://169.254.169.254/latest/meta-data",
    "https://169.254.10.1", "https://[fe80::1]", "https://[febf::1]",
    "https://10.0.0.7", "https://172.16.5.4", "https://172.31.255.255", "https://192.168.1.20",
    "https://[fc00::1]", "https://[fd12:3456::1]", "https://[fd00:ec2::254]",
    "https://metadata.google.internal/computeMetadata/v1", "https://METADATA.google.internal.",
    "https://0.0.0.0", "https://[::]", "https://224.0.0.1", "https://[ff02::1]",
    "https://[::ffff:169.254.169.254]", "https://100.64.0.1",
    "http://api.example.com/v1", "ftp://api.example.com", "api.example.com", "https://",
    "http://127.0.0.1:8080", "https://localhost/v1", "https://[::1]",
]  # fmt: skip
NAMES = {"api.example.com": ["93.184.216.34"], "rebound.example.com": ["10.0.0.5"],
         "meta.example.com": ["169.254.169.254"], "inside.example.com": ["fd00:ec2::254"]}  # fmt: skip


def _resolve(host: str, _port: int) -> list[str]:
    return NAMES[host]


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolve through :data:`NAMES`, at the resolver every check uses."""
    monkeypatch.setattr(addresses, "resolve", _resolve)


def _update(field: str, url: str) -> dict[str, object]:
    if field == "openai.base_url":
        return {"openai": {"base_url": url}}
    return {"integrations": {"crm_evolution": {"base_url": url}}}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("url", REFUSED)
def test_saving_refuses_every_private_link_local_metadata_and_plain_http_url(
    field: str, url: str, no_dns: None
) -> None:
    with pytest.raises(UsageError) as info:
        normalize(_update(field, url))
    message = str(info.value)
    assert message.startswith(f"Invalid runtime config: {field}")
    assert "https" in message.lower()
    assert [i.where for i in info.value.issues] == [field]


@pytest.mark.parametrize("field", FIELDS)
def test_saving_accepts_a_public_https_url_without_a_request(field: str, no_dns: None) -> None:
    config, _ = normalize(_update(field, "https://api.example.com/v1/"))
    section = (
        config["openai"] if field == "openai.base_url" else config["integrations"]["crm_evolution"]
    )
    assert section["base_url"] == "https://api.example.com/v1"


def test_saving_names_the_setting_that_allows_this_machine() -> None:
    with pytest.raises(UsageError) as info:
        normalize({"openai": {"base_url": "http://127.0.0.1:8080/v1"}})
    assert str(info.value) == (
        "Invalid runtime config: openai.base_url's host 127.0.0.1 is this machine (loopback), which"
        " the settings do not allow (MATRIX_ALLOW_LOOPBACK_URLS); a tenant's key is never sent"
        " there. Set the URL of a service on a public host, over HTTPS."
    )
    config, _ = normalize({"openai": {"base_url": "http://127.0.0.1:8080/v1"}}, allow_loopback=True)
    assert config["openai"]["base_url"] == "http://127.0.0.1:8080/v1"


@pytest.mark.parametrize("host", ["rebound.example.com", "meta.example.com", "inside.example.com"])
def test_the_guard_refuses_a_name_that_resolves_inside(host: str) -> None:
    guard = Guard(allow_loopback=True, field="openai.base_url", resolver=_resolve)
    with pytest.raises(addresses.AddressRefused) as info:
        guard.addresses(host, 443)
    assert str(info.value).startswith(f"openai.base_url's host {host} is a")
    assert guard.addresses("api.example.com", 443) == ["93.184.216.34"]


def test_a_tenant_base_url_resolving_to_a_private_address_is_refused_at_request_time(
    openai_server: OpenAIServer, no_dns: None
) -> None:
    """Saved when it resolved to a public address; by the time of the chat it resolves to
    10.0.0.5, and no request leaves."""
    settings = Settings.load(provider_mode="local", allow_loopback_urls=False)
    provider, strict = select_provider(
        settings, TenantAI(api_key=KEY, base_url="https://rebound.example.com/v1")
    )
    assert strict
    with pytest.raises(ProviderError) as info:
        provider.respond(ProviderRequest(tenant_id="acme", text="Oi", instructions="Be brief."))
    assert info.value.code == "openai_base_url_refused"
    assert str(info.value) == (
        "openai_base_url_refused: openai.base_url's host rebound.example.com is a private or"
        " reserved address (10.0.0.5); a tenant's key is never sent there. Set the URL of a"
        " service on a public host, over HTTPS."
    )
    assert KEY not in str(info.value) and openai_server.requests == []


def test_the_guarded_client_reaches_this_machine_only_when_allowed(
    openai_server: OpenAIServer,
) -> None:
    def provider(allow: bool) -> OpenAIProvider:
        return OpenAIProvider(api_key=KEY, model="gpt-5-mini", base_url=openai_server.base_url,
                              max_retries=0, guard=Guard(allow_loopback=allow, field="openai.base_url"))  # fmt: skip

    request = ProviderRequest(tenant_id="acme", text="Oi", instructions="Be brief.")
    assert provider(True).respond(request).text
    assert openai_server.count("responses") == 1
    with pytest.raises(ProviderError) as info:
        provider(False).respond(request)
    assert info.value.code == "openai_base_url_refused"
    assert openai_server.count("responses") == 1


@pytest.fixture
def gateway() -> Iterator[EvolutionGateway]:
    with EvolutionGateway() as server:
        yield server


def test_the_evolution_transport_checks_the_tenant_gateway_at_every_send(
    gateway: EvolutionGateway,
) -> None:
    def send(base_url: str, allow: bool) -> str:
        guard = Guard(allow_loopback=allow, field="integrations.crm_evolution.base_url",
                      resolver=lambda host, port: {**NAMES, "127.0.0.1": ["127.0.0.1"]}[host])  # fmt: skip
        transport = EvolutionTransport(base_url=base_url, api_key="evo-key", instance_id="main",
                                       timeout=2, guard=guard)  # fmt: skip
        return transport.send(tenant_id="acme", phone_e164="+5511999990000", text="Olá",
                              idempotency_key="k-1")  # fmt: skip

    assert send(gateway.url, allow=True) == "WA-1"
    with pytest.raises(TransportError) as info:
        send("https://meta.example.com", allow=True)
    assert info.value.code == "evolution_gateway_refused" and not info.value.retryable
    assert str(info.value) == (
        "integrations.crm_evolution.base_url's host meta.example.com is a link-local address"
        " (169.254.169.254); a tenant's key is never sent there. Set the URL of a service on a"
        " public host, over HTTPS."
    )
    with pytest.raises(TransportError):
        send(gateway.url, allow=False)
    assert len(gateway.seen) == 1


def test_pairing_checks_the_tenant_gateway_at_every_connection(gateway: EvolutionGateway) -> None:
    """The QR of a tenant's own gateway goes through the same guard as its messages: a name that
    now resolves inside is refused before any request; the machine's own gateway works when the
    platform allows loopback."""
    from matrix.providers.evolution import Gateway
    from matrix.providers.pairing import GatewayUnavailable, qr

    def guard(allow: bool) -> Guard:
        return Guard(allow_loopback=allow, field="integrations.crm_evolution.base_url",
                     resolver=lambda host, port: {**NAMES, "127.0.0.1": ["127.0.0.1"]}[host])  # fmt: skip

    rebound = Gateway(base_url="https://rebound.example.com", api_key="evo-key", instance_id="main")
    with pytest.raises(GatewayUnavailable) as info:
        qr(rebound, guard=guard(True), wait=lambda _: None)
    assert info.value.code == "evolution_gateway_refused" and "10.0.0.5" in str(info.value)
    assert gateway.seen == []
    local = Gateway(base_url=gateway.url, api_key="evo-key", instance_id="main")
    assert qr(local, guard=guard(True), wait=lambda _: None)["instanceId"] == "main"
    with pytest.raises(GatewayUnavailable):
        qr(local, guard=guard(False), wait=lambda _: None)
