"""Invitation codes: long, random, typeable, stored only as a SHA-256.

A code is derived from a random per-invitation nonce with an HMAC keyed by SECRET_KEY, so the
database alone (hash + nonce) never reveals a code, while the server can print the same code again on
a letter and in an e-mail. 20 characters of Crockford's base-32 alphabet carry 100 bits; they are
shown in groups of four (ABCD-EFGH-...) and read back forgiving case, spaces, dashes, O/0 and I/L/1.
"""

import hashlib
import secrets

from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20
_HMAC_SALT = "surveys.invitation-code"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive_code(nonce: str) -> str:
    """The clear code of the invitation whose nonce is `nonce` (normalised form, no dashes)."""
    number = int.from_bytes(salted_hmac(_HMAC_SALT, nonce, algorithm="sha256").digest()[:13], "big")
    characters = []
    for _position in range(CODE_LENGTH):
        number, remainder = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[remainder])
    return "".join(characters)


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in str(raw).upper() if ch.isalnum()).translate(_READ_AS)


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS-TVWX, for letters and e-mails."""
    code = normalize_code(code)
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_code(raw: str) -> str:
    return hashlib.sha256(normalize_code(raw).encode()).hexdigest()
