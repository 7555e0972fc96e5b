"""Markdown tables for the reports (the only formatting the reports share)."""
from __future__ import annotations

import math


def table(df, cols):
    """A GitHub markdown table of the columns ``cols`` of ``df``: floats to 4 significant digits,
    missing values empty, ``|`` escaped."""
    import pandas as pd

    def fmt(v):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(fmt(row[c]) for c in cols) + " |")
    return "\n".join(lines)
