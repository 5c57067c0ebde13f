"""How the report prints a figure and a bootstrap p-value: one rule for every table."""

from __future__ import annotations

import pandas as pd


def fmt(value, spec: str = ".2f") -> str:
    """A missing figure prints as a dash, not as 'nan' or 'None'."""
    return "–" if value is None or pd.isna(value) else format(value, spec)


def fmt_p(p, samples, spec: str = ".3f") -> str:
    """A bootstrap p of 0 means no resample favoured the baseline: the p-value is below
    1/samples, not zero, so it is printed as a bound."""
    if p == 0 and samples and not pd.isna(samples):
        return f"< {format(1 / samples, '.3g')}"
    return fmt(p, spec)
