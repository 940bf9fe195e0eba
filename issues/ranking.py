"""Fractional-index rank keys: strings that sort bytewise and always leave room between two.

A key is an *integer part* (a head letter giving its length, then base-62 digits) followed by
an optional *fraction* of base-62 digits that never ends in "0". Appending after the last key
increments the integer part, so keys grow only logarithmically; inserting into one gap over and
over adds about one character per six inserts, which is when `rebalance` is due.

The algorithm is the one of rocicorp/fractional-indexing (David Greenspan's), base 62.
"""

from collections.abc import Collection

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
_SMALLEST_INTEGER = "A" + "0" * 26

# A key longer than this triggers a rebalance of the project's keys (the column holds 64).
REBALANCE_THRESHOLD = 48


class RankError(ValueError):
    pass


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise RankError(f"invalid rank head {head!r}")


def _integer_part(key: str) -> str:
    length = _integer_length(key[0])
    if length > len(key):
        raise RankError(f"invalid rank key {key!r}")
    return key[:length]


def validate(key: str) -> None:
    if not key:
        raise RankError("empty rank key")
    if key == _SMALLEST_INTEGER:
        raise RankError(f"invalid rank key {key!r}")
    integer = _integer_part(key)
    if any(char not in DIGITS for char in key[1:]):
        raise RankError(f"invalid rank key {key!r}")
    if key[len(integer) :].endswith("0"):
        raise RankError(f"invalid rank key {key!r}")


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between a and b ("" is 0, None is 1); neither ends in "0"."""
    if b is not None:
        n = 0
        while (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = DIGITS.index(a[0]) if a else 0
    digit_b = DIGITS.index(b[0]) if b is not None else BASE
    if digit_b - digit_a > 1:
        return DIGITS[(digit_a + digit_b + 1) // 2]
    if b is not None and len(b) > 1:
        return b[:1]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _increment(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        value = DIGITS.index(digits[i]) + 1
        if value < BASE:
            digits[i] = DIGITS[value]
            return head + "".join(digits)
        digits[i] = "0"
    if head == "Z":
        return "a0"
    if head == "z":
        return None
    new_head = chr(ord(head) + 1)
    if new_head > "a":
        digits.append("0")
    else:
        digits.pop()
    return new_head + "".join(digits)


def _decrement(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        value = DIGITS.index(digits[i]) - 1
        if value >= 0:
            digits[i] = DIGITS[value]
            return head + "".join(digits)
        digits[i] = DIGITS[-1]
    if head == "a":
        return "Z" + DIGITS[-1]
    if head == "A":
        return None
    new_head = chr(ord(head) - 1)
    if new_head < "Z":
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return new_head + "".join(digits)


def key_between(a: str | None, b: str | None) -> str:
    """A key that sorts strictly after `a` and before `b` (None: open end)."""
    if a is not None:
        validate(a)
    if b is not None:
        validate(b)
    if a is not None and b is not None and a >= b:
        raise RankError(f"{a!r} is not before {b!r}")
    if a is None:
        if b is None:
            return "a0"
        integer_b = _integer_part(b)
        fraction_b = b[len(integer_b) :]
        if integer_b == _SMALLEST_INTEGER:
            return integer_b + _midpoint("", fraction_b)
        if integer_b < b:
            return integer_b
        lower = _decrement(integer_b)
        if lower is None:
            raise RankError("cannot rank before the smallest key")
        return lower
    integer_a = _integer_part(a)
    fraction_a = a[len(integer_a) :]
    if b is None:
        higher = _increment(integer_a)
        return integer_a + _midpoint(fraction_a, None) if higher is None else higher
    integer_b = _integer_part(b)
    fraction_b = b[len(integer_b) :]
    if integer_a == integer_b:
        return integer_a + _midpoint(fraction_a, fraction_b)
    higher = _increment(integer_a)
    if higher is None:
        raise RankError("cannot rank after the largest key")
    if higher < b:
        return higher
    return integer_a + _midpoint(fraction_a, None)


def evenly_spaced(count: int, *, skip_heads: Collection[str] = ()) -> list[str]:
    """`count` keys of equal length, spread evenly, with room between neighbours.

    The first character of a key (its head) says how long its integer part is, so keys whose
    head is in `skip_heads` are never produced: rebalancing picks a head no current key has,
    and its new keys then cannot collide with the old ones while they are being replaced.
    """
    if count <= 0:
        return []
    width = 1
    while BASE**width < count * 64:  # about six free halvings between neighbours
        width += 1
    while chr(ord("a") + width - 1) in skip_heads:
        width += 1
    if width > 26:
        raise RankError("no free key length left for evenly spaced keys")
    head = chr(ord("a") + width - 1)
    step = BASE**width // (count + 1)
    return [head + _to_digits(step * (i + 1), width) for i in range(count)]


def _to_digits(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, digit = divmod(value, BASE)
        out.append(DIGITS[digit])
    return "".join(reversed(out))
