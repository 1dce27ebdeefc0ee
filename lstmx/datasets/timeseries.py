"""Time series for forecasting: ``load(name)`` for the series shipped with lstmx, ``load_csv`` for any CSV.

Both return ``(dates, values)``: ``dates`` a ``datetime64`` array (days, months or years, as the file
gives them) and ``values`` a float64 array, NaN where a cell is empty. Dates must increase; a series
with missing values or missing dates loads as it is, and :func:`lstmx.timeseries.gaps` reports them.

Shipped (see ``data/timeseries/README.md`` for sources and licences):

==========  ========  ======  ===========================================================
name        every     n       what
==========  ========  ======  ===========================================================
airline     month     144     international airline passengers (thousands), 1949-1960
sunspots    year      309     yearly sunspot numbers, 1700-2008
co2         week      2,284   Mauna Loa CO2 (ppmv), 1958-2001, 59 weeks empty
nile        year      100     annual flow of the Nile at Aswan (10^8 m^3), 1871-1970
==========  ========  ======  ===========================================================
"""
import csv
import os
import re

import numpy as np

_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "timeseries")
SERIES = {
    "airline": ("airline-passengers.csv", "Month", "Passengers"),
    "sunspots": ("sunspots.csv", "YEAR", "SUNACTIVITY"),
    "co2": ("co2.csv", "date", "co2"),
    "nile": ("nile.csv", "year", "volume"),
}
_DATE_FORMATS = (                                       # (pattern, unit, to ISO)
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "D", lambda s: s),
    (re.compile(r"^\d{8}$"), "D", lambda s: f"{s[:4]}-{s[4:6]}-{s[6:]}"),
    (re.compile(r"^\d{4}-\d{2}$"), "M", lambda s: s),
    (re.compile(r"^\d{4}$"), "Y", lambda s: s),
)


def load(name):
    """The series ``name`` shipped with lstmx (``airline``, ``sunspots``, ``co2``, ``nile``) as
    ``(dates, values)``."""
    if name not in SERIES:
        raise ValueError(f"unknown series {name!r}: lstmx ships {sorted(SERIES)}; load others with load_csv")
    file, date_column, value_column = SERIES[name]
    return load_csv(os.path.join(_DIR, file), date_column, value_column)


def _parse_date(text, path, line):
    text = text.strip()
    for pattern, unit, iso in _DATE_FORMATS:
        if pattern.match(text):
            try:
                return np.datetime64(iso(text), unit)
            except ValueError:
                break
    raise ValueError(f"{path}, line {line}: cannot read the date {text!r} (expected YYYY-MM-DD, YYYYMMDD, "
                     f"YYYY-MM or YYYY)")


def load_csv(path, date_column, value_column):
    """``(dates, values)`` from a CSV file with a header row.

    Parameters
    ----------
    path : str or path
    date_column : the header of the dates: YYYY-MM-DD, YYYYMMDD, YYYY-MM or YYYY
    value_column : the header of the values, or a list of headers for several series
        (``values`` is then ``(n, len(list))``); an empty cell is NaN

    Raises
    ------
    ValueError : naming the file and line, for an unknown column, an unreadable date or number, dates
        that do not increase, or a file without rows
    """
    columns = [value_column] if isinstance(value_column, str) else list(value_column)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty: a header row and one row per date were expected")
        header = [h.strip() for h in header]
        for name in [date_column, *columns]:
            if name not in header:
                raise ValueError(f"{path} has no column {name!r}; its columns: {header}")
        di, vi = header.index(date_column), [header.index(c) for c in columns]
        dates, values = [], []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{path}, line {line}: {len(row)} cells where the header has {len(header)}")
            dates.append(_parse_date(row[di], path, line))
            cells = []
            for k in vi:
                cell = row[k].strip()
                try:
                    cells.append(float(cell) if cell else np.nan)
                except ValueError:
                    raise ValueError(f"{path}, line {line}: {header[k]} is {cell!r}, not a number") from None
            values.append(cells)
    if not dates:
        raise ValueError(f"{path} has a header but no rows")
    dates = np.array(dates)
    bad = np.flatnonzero(np.diff(dates) <= np.timedelta64(0))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"{path}: the dates must increase, but date {k + 2} ({dates[k + 1]}) does not come after "
                         f"date {k + 1} ({dates[k]})")
    values = np.array(values, dtype=np.float64)
    return dates, (values[:, 0] if isinstance(value_column, str) else values)
