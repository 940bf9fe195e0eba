"""What a browser or a script sends, parsed one way everywhere it is read."""

from __future__ import annotations

INT32_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


def whole_number(value: object, *, maximum: int = INT32_MAX) -> int | None:
    """`value` as a whole number from 0 to `maximum` written in ASCII digits, or None.

    `str.isdigit()` is not enough: "²" passes it and then fails `int()`, and `int()` itself
    takes "٣", " 7" and "1_000"; a number too big for the database's column is no number either.
    """
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if number <= maximum else None
