"""The percentile method of the dashboard: nearest rank, computed in Python over the few rows
of a group, so SQLite and PostgreSQL give the same figures.

The p-th percentile (0 < p <= 100) of n values is the value at rank ceil(p / 100 × n) in
ascending order (1-based): the smallest value such that at least p % of the values are at
most it. It is always one of the values (never interpolated): of 10 durations the median is
the 5th, the 90th percentile the 9th; of 5, the 3rd and the 5th; of one value, that value.
"""

def nearest_rank(values, p):
    """The p-th percentile of `values` by nearest rank; None when there are none."""
    if not values:
        return None
    if not (isinstance(p, int) and 0 < p <= 100):
        raise ValueError("p is a whole number in (0, 100]")
    ordered = sorted(values)
    return ordered[max(1, -(-p * len(ordered) // 100)) - 1]  # integer ceil: no float rounding


def summary(values):
    """(count, median, 90th percentile) of `values`."""
    return len(values), nearest_rank(values, 50), nearest_rank(values, 90)
