"""tracker.inputs.whole_number: the one parser of integer parameters."""

import pytest

from tracker.inputs import BIGINT_MAX, whole_number


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("7", 7), ("007", 7), ("2147483647", 2**31 - 1)]
)
def test_plain_numbers_are_numbers(text, number):
    assert whole_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "²",
        "٣",
        "３",
        "-1",
        "+1",
        " 7",
        "7 ",
        "1_000",
        "1.0",
        "0x1",
        "2147483648",
        "9" * 400,
    ],
)
def test_anything_else_is_none(text):
    assert whole_number(text) is None


def test_the_maximum_is_the_callers():
    assert whole_number(str(BIGINT_MAX), maximum=BIGINT_MAX) == BIGINT_MAX
    assert whole_number(str(BIGINT_MAX + 1), maximum=BIGINT_MAX) is None
    assert whole_number("51", maximum=50) is None
