"""Encrypts every Temporal payload we write (AES-256-GCM), so Temporal's database holds no
message text, subject or other candidate data; see docs/security.md#payload-encryption.

A payload is encrypted whole (its serialized protobuf, metadata included) with the first key
of the ring; its metadata names the key (`encryption-key-id`), so older keys decrypt what they
wrote and keys rotate by putting a new one first. A payload without our `encoding` is passed
through as it is: histories written before encryption was on (the recorded ones of the replay
tests, campaigns started before the change) keep replaying. Anything else that cannot be
decrypted (an unknown key id, a tampered or truncated payload) raises: a wrong key must never
look like data.

Layout as in Temporal's encryption sample (temporalio/samples-python `encryption/codec.py`):
`binary/encrypted`, a 12-byte random nonce followed by the ciphertext and its tag. The key id is
also the associated data, so a payload cannot be relabelled to another key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12


class PayloadDecryptionError(ValueError):
    """A payload marked as ours that no key of the ring decrypts."""


def parse_keys(text: str) -> dict[str, bytes]:
    """`id:base64key` entries separated by commas or new lines; the first one encrypts.

    Raises ValueError naming the entry that is wrong (never the key itself)."""
    keys: dict[str, bytes] = {}
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for entry in ",".join(lines).split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, separator, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not separator or not key_id:
            raise ValueError(f"entry {len(keys) + 1} is not `id:base64key`")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise ValueError(f"key {key_id!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} appears twice")
        keys[key_id] = key
    if not keys:
        raise ValueError("no key given")
    return keys


def read_keys_file(path: Path) -> dict[str, bytes]:
    """The keys of a file in `parse_keys`' format (a mounted secret); `#` lines are comments."""
    return parse_keys(path.read_text())


def new_key() -> str:
    """A fresh random key, base64, for `PAYLOAD_KEYS` (`python -c 'import payload_codec as p;
    print(p.new_key())'`)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over whole payloads, with a key ring for rotation."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        super().__init__()
        if not keys:
            raise ValueError("an encryption codec needs at least one key")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.encrypting_key_id = next(iter(keys))

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        key_id = self.encrypting_key_id
        cipher = self._ciphers[key_id]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on: plain already
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload encrypted with key {key_id!r}, which is not in PAYLOAD_KEYS"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload encrypted with key {key_id!r} does not decrypt: tampered, truncated, "
                "or that key id holds another key"
            ) from None
        return Payload.FromString(plain)
