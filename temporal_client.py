"""Connects to Temporal with the data converter every part of the system must share."""

from __future__ import annotations

import dataclasses

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS, ClientConnectConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from config import Settings
from payload_codec import EncryptionCodec
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES


async def connect_temporal(settings: Settings, *, lazy: bool = False) -> Client:
    """`lazy` connects on first use, so the API starts (and reports not ready) without Temporal."""
    return await Client.connect(
        **connect_config(settings), data_converter=data_converter(settings), lazy=lazy
    )


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads (the campaign definition is a pydantic model), encrypted with the
    settings' keys. Every client, worker and replayer uses this one: a part with another
    converter cannot read what the others wrote."""
    return dataclasses.replace(
        pydantic_data_converter, payload_codec=EncryptionCodec(settings.payload_key_ring)
    )


def plain_payload(text: str) -> Payload:
    """A payload the codec leaves alone, for what must stay readable without it (the workflow's
    summary): give it where the SDK takes a ready `Payload`. Never for personal data."""
    return pydantic_data_converter.payload_converter.to_payload(text)


def connect_config(settings: Settings) -> ClientConnectConfig:
    """`Client.connect`'s address, namespace, API key and TLS, through the SDK's own
    `temporalio.envconfig` profile: it applies Temporal's rules (an API key, as Temporal Cloud
    uses, travels over TLS; a client certificate pair means mTLS). The values come from our
    settings, not from the profile's own loader, so `.env` and config.py's validation apply."""
    cert, key = settings.temporal_tls_client_cert_path, settings.temporal_tls_client_key_path
    profile = ClientConfigProfile(
        address=settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=ClientConfigTLS(client_cert=cert, client_private_key=key) if cert and key else None,
    )
    config = profile.to_client_connect_config()
    config.setdefault("tls", settings.temporal_tls)  # TLS on without a key or certificate
    return config


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS for Temporal Cloud or a secured cluster; off for the local dev server."""
    return connect_config(settings)["tls"]


async def register_search_attributes(client: Client, namespace: str) -> None:
    """Register our search attributes (idempotent: ones that exist already are left alone)."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        if error.status is not RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
            raise
        existing = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in SEARCH_ATTRIBUTES
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
