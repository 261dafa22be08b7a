"""The payload codec: what it writes is unreadable without the key, decrypts only with the
right key, rotates keys, and leaves payloads from before encryption alone."""

from __future__ import annotations

import base64

import pytest
from temporalio.api.common.v1 import Payload

from config import DEV_PAYLOAD_KEYS, Settings
from payload_codec import EncryptionCodec, PayloadDecryptionError, parse_keys
from temporal_client import data_converter
from tests.support.campaigns import BRIEF_EXAMPLE

OLD = {"2025-01": b"o" * 32}
NEW = {"2026-01": b"n" * 32}
MESSAGE = "impressed with your work as a Senior Software Engineer at Showpad"


def _text_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_round_trip_gives_back_the_payload_and_hides_its_text() -> None:
    codec = EncryptionCodec(NEW)
    original = _text_payload(MESSAGE)
    [encrypted] = await codec.encode([original])
    assert MESSAGE.encode() not in encrypted.SerializeToString()
    assert b"json/plain" not in encrypted.SerializeToString()  # the metadata is sealed too
    assert encrypted.metadata["encoding"] == b"binary/encrypted"
    assert encrypted.metadata["encryption-key-id"] == b"2026-01"
    assert await codec.decode([encrypted]) == [original]


async def test_the_same_payload_encrypts_differently_each_time() -> None:
    codec = EncryptionCodec(NEW)
    first, second = await codec.encode([_text_payload(MESSAGE), _text_payload(MESSAGE)])
    assert first.data != second.data


async def test_a_wrong_key_under_the_same_id_fails_loudly() -> None:
    [encrypted] = await EncryptionCodec(NEW).encode([_text_payload(MESSAGE)])
    impostor = EncryptionCodec({"2026-01": b"x" * 32})
    with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
        await impostor.decode([encrypted])


async def test_an_unknown_key_id_fails_loudly() -> None:
    [encrypted] = await EncryptionCodec(NEW).encode([_text_payload(MESSAGE)])
    with pytest.raises(PayloadDecryptionError, match="2026-01.*not in PAYLOAD_KEYS"):
        await EncryptionCodec(OLD).decode([encrypted])


async def test_a_tampered_payload_fails_loudly() -> None:
    codec = EncryptionCodec(NEW)
    [encrypted] = await codec.encode([_text_payload(MESSAGE)])
    flipped = bytearray(encrypted.data)
    flipped[20] ^= 1
    truncated = Payload(metadata=encrypted.metadata, data=encrypted.data[:-1])
    for bad in (Payload(metadata=encrypted.metadata, data=bytes(flipped)), truncated):
        with pytest.raises(PayloadDecryptionError):
            await codec.decode([bad])


async def test_a_payload_relabelled_to_another_key_fails() -> None:
    codec = EncryptionCodec({**NEW, **OLD})
    [encrypted] = await codec.encode([_text_payload(MESSAGE)])
    relabelled = Payload(metadata={**encrypted.metadata}, data=encrypted.data)
    relabelled.metadata["encryption-key-id"] = b"2025-01"
    with pytest.raises(PayloadDecryptionError):
        await codec.decode([relabelled])


async def test_rotation_new_key_encrypts_and_old_key_still_decrypts() -> None:
    [written_before] = await EncryptionCodec(OLD).encode([_text_payload("before")])
    rotated = EncryptionCodec({**NEW, **OLD})  # the new key first, the old one kept
    [written_after] = await rotated.encode([_text_payload("after")])
    assert written_after.metadata["encryption-key-id"] == b"2026-01"
    assert await rotated.decode([written_before, written_after]) == [
        _text_payload("before"),
        _text_payload("after"),
    ]


async def test_unencrypted_payloads_pass_through_unchanged() -> None:
    """Histories written before encryption (the recorded v1–v3 ones, running campaigns)."""
    plain = [_text_payload(MESSAGE), Payload(metadata={"encoding": b"binary/null"})]
    assert await EncryptionCodec(NEW).decode(plain) == plain


async def test_the_shared_converter_encrypts_a_definition_and_reads_it_back() -> None:
    converter = data_converter(Settings(_env_file=None, payload_keys=DEV_PAYLOAD_KEYS))
    [payload] = await converter.encode([BRIEF_EXAMPLE])
    assert MESSAGE.encode() not in payload.SerializeToString()
    assert await converter.decode([payload], [dict]) == [BRIEF_EXAMPLE]


def test_keys_parse_from_a_list_or_lines_with_comments() -> None:
    one, two = base64.b64encode(b"1" * 32).decode(), base64.b64encode(b"2" * 32).decode()
    assert list(parse_keys(f"a:{one}, b:{two}")) == ["a", "b"]
    assert parse_keys(f"# rotated 2026-01\nb:{two}\na:{one}\n") == {"b": b"2" * 32, "a": b"1" * 32}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no key"),
        ("nokey", "not `id:base64key`"),
        ("a:not base64!", "not valid base64"),
        (f"a:{base64.b64encode(b'short').decode()}", "AES-256 needs 32"),
        (
            f"a:{base64.b64encode(b'1' * 32).decode()},a:{base64.b64encode(b'2' * 32).decode()}",
            "twice",
        ),
    ],
)
def test_wrong_keys_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_keys(text)
