"""Whatever a client puts in a date or integer parameter, core/inputs.py
answers with a usable value or InputRefused (a 400), never another exception."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from core import inputs

# Text that looks like what the parsers read, and anything at all.
DATEISH = st.one_of(
    st.text(max_size=60),
    st.dates().map(str),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.from_regex(r"\A[0-9+\-:T. Z]{0,40}\Z"),
)
INTEGERISH = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.from_regex(r"\A[ \-+0-9²٣]{0,30}\Z"),
)


@seed(20261207)
@settings(max_examples=400, deadline=None)
@given(DATEISH)
def test_dates_are_a_moment_in_range_or_refused(text: str) -> None:
    for parse in (inputs.day_start, inputs.day_after, inputs.moment):
        try:
            value = parse(text, "until")
        except inputs.InputRefused:
            continue
        assert value.tzinfo is not None
        # Usable in a query: a day either side stays within Python's range.
        assert datetime(1, 1, 2, tzinfo=UTC) <= value.astimezone(UTC)
        assert value.astimezone(UTC) <= datetime(9999, 12, 31, tzinfo=UTC)


@seed(20261207)
@settings(max_examples=400, deadline=None)
@given(INTEGERISH, st.integers(-(2**70), 2**70), st.integers(0, 2**70))
def test_integers_are_in_their_range_or_refused(
    text: str, minimum: int, span: int
) -> None:
    maximum = minimum + span
    try:
        value = inputs.integer(text, "limit", minimum=minimum, maximum=maximum)
    except inputs.InputRefused:
        return
    assert minimum <= value <= maximum
    assert -inputs.BIGINT <= value <= inputs.BIGINT
