"""The result codes' keys and their seal: deterministic authenticated encryption in the manner
of SIV (RFC 5297). Pure; no Flask.

The tag is HMAC-SHA256 over the clear header and the sealed plaintext under one key, truncated;
the keystream is HMAC-SHA256 over the header and the tag under a second key, XORed onto the
plaintext. The keys are derived from the app secret with HKDF-SHA256 (RFC 5869), a pair for each
version. Without the key a code shows its clear header and nothing else: a different plaintext
gives a different tag and so an unrelated keystream. Opening recomputes the tag from the
decrypted plaintext and compares it in constant time, so any change to a code is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from screening.codes.errors import ALTERED, ResultCodeError

# Version 1's MAC key: an HMAC of this purpose under the secret (before HKDF was used).
KEY_PURPOSE = b"screening result code v1"
HKDF_SALT = b"screening result codes"
SEALED_VERSIONS = (2, 3, 4, 5)


@dataclass(frozen=True)
class SealKey:
    """One sealed version's pair: the tag's key and the keystream's."""

    tag: bytes
    stream: bytes


@dataclass(frozen=True)
class ResultCodeKeys:
    """Keys for result codes only, so the app secret itself never signs anything here."""

    v1_mac: bytes
    v2_tag: bytes
    v2_stream: bytes
    v3_tag: bytes
    v3_stream: bytes
    v4_tag: bytes
    v4_stream: bytes
    v5_tag: bytes
    v5_stream: bytes

    def for_version(self, version: int) -> SealKey:
        return SealKey(getattr(self, f"v{version}_tag"), getattr(self, f"v{version}_stream"))


def hkdf_sha256(secret: bytes, info: bytes, length: int = 32, salt: bytes = HKDF_SALT) -> bytes:
    """HKDF (RFC 5869) with SHA-256: extract with ``salt``, then expand for ``info``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def derive_key(secret: str | bytes) -> ResultCodeKeys:
    raw = secret.encode() if isinstance(secret, str) else secret
    # Each version has keys of its own rather than the last one's with the version in the
    # header: the header already differs, but separate keys keep each version's tags and
    # keystreams independent whatever a later layout puts in its header, for two HMACs each at
    # start-up.
    derived = {
        f"v{version}_{part}": hkdf_sha256(raw, f"result code v{version} {info}".encode())
        for version in SEALED_VERSIONS
        for part, info in (("tag", "tag"), ("stream", "keystream"))
    }
    return ResultCodeKeys(v1_mac=hmac.new(raw, KEY_PURPOSE, hashlib.sha256).digest(), **derived)


@dataclass(frozen=True)
class Widths:
    """The bits of a sealed code's three parts."""

    clear_bits: int
    sealed_bits: int
    tag_bits: int


def as_bytes(number: int, bits: int) -> bytes:
    return number.to_bytes(-(-bits // 8), "big")


def truncated_hmac(key: bytes, message: bytes, bits: int) -> int:
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") >> (256 - bits)


def check_mac(expected: int, given: int, bits: int) -> None:
    """Refuse a MAC or tag that differs from the one computed, in constant time."""
    if not hmac.compare_digest(as_bytes(expected, bits), as_bytes(given, bits)):
        raise ResultCodeError(ALTERED)


def _tag(key: SealKey, widths: Widths, header: int, plaintext: int) -> int:
    message = as_bytes(
        (header << widths.sealed_bits) | plaintext, widths.clear_bits + widths.sealed_bits
    )
    return truncated_hmac(key.tag, message, widths.tag_bits)


def _keystream(key: SealKey, widths: Widths, header: int, tag: int) -> int:
    message = as_bytes(header, widths.clear_bits) + as_bytes(tag, widths.tag_bits)
    return truncated_hmac(key.stream, message, widths.sealed_bits)


def seal(key: SealKey, widths: Widths, header: int, plaintext: int) -> int:
    """Header, sealed plaintext and tag as one number, in that order from the top."""
    tag = _tag(key, widths, header, plaintext)
    sealed = plaintext ^ _keystream(key, widths, header, tag)
    return (((header << widths.sealed_bits) | sealed) << widths.tag_bits) | tag


def header_of(widths: Widths, number: int) -> int:
    """The clear header of a sealed number: readable by anyone, trusted only once opened."""
    return number >> (widths.tag_bits + widths.sealed_bits)


def open_sealed(key: SealKey, widths: Widths, number: int) -> int:
    """The plaintext of a sealed number; ResultCodeError if its tag does not verify."""
    tag = number & (2**widths.tag_bits - 1)
    sealed = (number >> widths.tag_bits) & (2**widths.sealed_bits - 1)
    header = header_of(widths, number)
    plaintext = sealed ^ _keystream(key, widths, header, tag)
    check_mac(_tag(key, widths, header, plaintext), tag, widths.tag_bits)
    return plaintext
