"""Turn numbers into the text the import files carry, millions of values at a time.

Everything here works on whole arrays with Arrow compute kernels (much faster
than Python string formatting), and is exact: money is kept in integer cents
and printed as "123.40", times are whole seconds printed as ISO 8601 in UTC.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# "00:00:00+00:00" ... "23:59:59+00:00": every second of a day, built once.
_CLOCK = None
_CENTS = pa.array([f"{c:02d}" for c in range(100)])


def codes(prefix, numbers, width):
    """C0000001-style identifiers: prefix + zero-padded number."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def money(cents):
    """Integer cents -> "1234.50" (negative amounts are not produced)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pa.array(cents // 100).cast(pa.string())
    return pc.binary_join_element_wise(whole, _CENTS.take(pa.array(cents % 100)), ".")


def timestamps(epoch_seconds):
    """Whole seconds since 1970 -> "2026-10-31T08:15:00+00:00"."""
    seconds = np.asarray(epoch_seconds, dtype=np.int64)
    days, second_of_day = np.divmod(seconds, 86400)
    first = days.min() if len(days) else 0
    # Few distinct dates: format each once and look them up.
    span = np.arange(first, (days.max() if len(days) else 0) + 1).astype("datetime64[D]")
    dates = pa.array(np.datetime_as_string(span, unit="D"))
    return pc.binary_join_element_wise(dates.take(pa.array(days - first)),
                                       _clock().take(pa.array(second_of_day)), "T")


def dates(epoch_days):
    """Days since 1970 -> "1990-05-17"."""
    return pa.array(np.datetime_as_string(np.asarray(epoch_days, dtype=np.int64).astype("datetime64[D]"),
                                          unit="D"))


def text(values):
    return pa.array(np.asarray(values).astype(str), pa.string())


def integers(values):
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def decimals(values, places=6):
    """Floats rounded to `places` for the truth files (deterministic text)."""
    return pa.array(np.round(np.asarray(values, dtype=float), places)).cast(pa.string())


def yes_no(flags):
    return pc.if_else(pa.array(np.asarray(flags, dtype=bool)), "yes", "no")


def blank_where(values, empty):
    """Replace values with "" where `empty` is true (optional fields)."""
    return pc.if_else(pa.array(np.asarray(empty, dtype=bool)), "", values)


def _clock():
    global _CLOCK
    if _CLOCK is None:
        second = np.arange(86400)
        h, m, s = second // 3600, second // 60 % 60, second % 60
        _CLOCK = pa.array([f"{a:02d}:{b:02d}:{c:02d}+00:00" for a, b, c in zip(h, m, s)])
    return _CLOCK
