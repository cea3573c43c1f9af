"""The rules a password must meet when it is set (ASVS 2.1, NIST SP 800-63B 5.1.1.2).

Applied at sign-up, when an admin gives a new member a password, at one's own password change and at the
operator's `sightline admin reset-password --password-stdin`; never at sign-in, so passwords set under earlier
rules keep working. Generated passwords (16 characters, 96 random bits) meet them.

- Length: 12 to 1024 characters, counted as Unicode code points after NFC normalisation with every run of
  white space counted as one (ASVS 2.1.1-2.1.3). Any character is allowed; no composition rules (2.1.9).
- Not among the commonest and breached passwords (a bundled list, checked offline: data/README.md), compared
  case-insensitively, also once digits, symbols and spaces around it are set aside ("Password123!" is
  "password"), and not one short pattern repeated or a run like "abcdefghijkl" (2.1.7).
- Not the person's email (or its local part), name or organisation name, give or take digits, symbols and
  spaces around it, nor mostly made of one of them.

Each refusal is a 422 on the password's field, with a `type` naming the rule: password_too_short,
password_too_long, password_common, password_repetitive, password_personal, password_not_text.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from sightline.errors import FieldError, Invalid

MIN_LENGTH = 12
MAX_LENGTH = 1024
# Around the core of a password: what people add to a common word to get past rules ("Summer2024!").
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_REPEATED = re.compile(r"(.+?)\1+", re.DOTALL)
_SPACES = re.compile(r"\s+")

MESSAGES = {
    "password_too_short": f"use at least {MIN_LENGTH} characters (runs of spaces count as one); "
    "a few unrelated words make a good password",
    "password_too_long": f"use at most {MAX_LENGTH} characters",
    "password_common": "this password is among the commonest or breached ones that attackers try first; "
    "choose another, e.g. a few unrelated words",
    "password_repetitive": "a repeated pattern or a run of consecutive characters is guessed at once; choose another",
    "password_personal": "do not use your email, your name or the organisation's name as the password",
    "password_not_text": "the password holds a character that is not valid Unicode text",
}


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, read once per process (about 50,000 entries, ~4 MB in memory)."""
    packed = resources.files("sightline.identity").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(line for line in gzip.decompress(packed).decode().split("\n") if line)


def normalise(password: str) -> str:
    """NFC, and every run of white space as one space: the form whose length is counted."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", password))


def _fold(text: str) -> tuple[str, str]:
    """(compact, core): case-folded without spaces; and that without digits and symbols around it."""
    compact = "".join(unicodedata.normalize("NFC", text).casefold().split())
    return compact, _AROUND.sub("", compact)


def _sequential(text: str) -> bool:
    """Each character one after the previous (or before it): "abcdefghijkl", "9876543210987"."""
    if len(text) < 3:
        return False
    steps = {_step(a, b) for a, b in pairwise(text)}
    return steps in ({1}, {-1})


def _step(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():  # digits wrap around: 8901 is a run
        return (int(b) - int(a) + 5) % 10 - 5
    return ord(b) - ord(a)


def broken_rule(password: str, *, personal: Iterable[str | None] = ()) -> str | None:
    """The type of the first rule the password breaks (a key of MESSAGES), or None when it meets them all."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON: it could not be hashed
        return "password_not_text"
    if len(password) > 4 * MAX_LENGTH:  # NFC never shrinks text that much: no need to normalise it first
        return "password_too_long"
    length = len(normalise(password))
    if length < MIN_LENGTH:
        return "password_too_short"
    if length > MAX_LENGTH:
        return "password_too_long"
    compact, core = _fold(password)
    common = common_passwords()
    if compact in common or core in common or normalise(password).casefold() in common:
        return "password_common"
    if any(_REPEATED.fullmatch(form) or _sequential(form) for form in (compact, core) if form):
        return "password_repetitive"
    for value in personal:
        if value and _resembles(compact, core, value):
            return "password_personal"
    return None


def _resembles(compact: str, core: str, value: str) -> bool:
    candidates = {_fold(value)[0], _fold(value)[1]}
    if "@" in value:  # an email: its local part too
        candidates |= set(_fold(value.split("@", 1)[0]))
    for candidate in filter(None, candidates):
        if candidate in (compact, core):
            return True
        if len(candidate) >= 3 and candidate in compact and 2 * len(candidate) >= len(compact):
            return True  # mostly the name: "acmemarketing!2026"
    return False


def _given(value: str) -> str:
    if not 1 <= len(value) <= 4 * MAX_LENGTH:
        raise PydanticCustomError("string_length", f"give the password (at most {4 * MAX_LENGTH} characters)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("password_not_text", MESSAGES["password_not_text"]) from None
    return value


def _schema_rules(value: str) -> str:
    rule = broken_rule(value)
    if rule is not None:
        raise PydanticCustomError(rule, MESSAGES[rule])
    return value


NewPassword = Annotated[
    str,
    AfterValidator(_schema_rules),
    WithJsonSchema(
        {
            "type": "string",
            "format": "password",
            "minLength": MIN_LENGTH,
            "maxLength": MAX_LENGTH,
            "description": f"{MIN_LENGTH}-{MAX_LENGTH} characters (after NFC; runs of spaces count as one); "
            "common and breached passwords, repeated patterns and your own email, name or organisation name are "
            "refused (422, the error's `type` names the rule)",
        }
    ),
]
# A password given to be checked against a stored one (sign-in, the current password): any length a password
# could have been set with, and no rules (passwords set under earlier rules keep working).
GivenPassword = Annotated[
    str,
    AfterValidator(_given),
    WithJsonSchema({"type": "string", "format": "password", "minLength": 1, "maxLength": 4 * MAX_LENGTH}),
]


def personal_rule(fields: Iterable[str]) -> Any:
    """A pydantic field validator body: the password is not one of the body's own fields given before it."""

    def check(cls: type, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and broken_rule(value, personal=(info.data.get(name) for name in fields)) is not None:
            raise PydanticCustomError("password_personal", MESSAGES["password_personal"])
        return value

    return check


def refuse_personal(password: str, *, field: str, personal: Iterable[str | None]) -> None:
    """For what only the service knows (the organisation's name, the signed-in person): a 422 on `field`."""
    rule = broken_rule(password, personal=personal)
    if rule is not None:
        raise Invalid(errors=[FieldError(tuple(field.split(".")), MESSAGES[rule], rule)])


def check(password: str, *, personal: Iterable[str | None] = ()) -> str | None:
    """The message of the first rule broken, or None (the command line's check)."""
    rule = broken_rule(password, personal=personal)
    return None if rule is None else MESSAGES[rule]
