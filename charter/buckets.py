"""Duration buckets of the compliance histograms: fine where the commitments are, coarser beyond.

A duration of s seconds is first rounded up to whole minutes (m = ceil(s / 60)), then:
  m <= 600 (10 h)        one bucket per minute         (bucket = m, 0..600)
  m <= 6,000 (100 h)     one bucket per 10 minutes     (601..1140)
  m <= 60,000 (1,000 h)  one bucket per hour           (1141..2040)
  beyond                 one last bucket               (2041)
A quantile read from the histogram is the upper edge of its bucket: exact to the minute (rounded up)
under 10 hours, to 10 minutes under 100 hours, to the hour under 1,000 hours. The SQL twin of
`bucket_of` is `bucket_sql` (the fold computes buckets in the database). Pure Python, no Django.
"""

FINE_MINUTES = 600
MEDIUM_MINUTES = 6_000
COARSE_MINUTES = 60_000
MEDIUM_STEP = 10
COARSE_STEP = 60
MEDIUM_FIRST = FINE_MINUTES  # last fine bucket
COARSE_FIRST = MEDIUM_FIRST + (MEDIUM_MINUTES - FINE_MINUTES) // MEDIUM_STEP  # 1140
OVERFLOW = COARSE_FIRST + (COARSE_MINUTES - MEDIUM_MINUTES) // COARSE_STEP + 1  # 2041


def bucket_of(seconds: int) -> int:
    minutes = -(-seconds // 60)
    if minutes <= FINE_MINUTES:
        return max(minutes, 0)
    if minutes <= MEDIUM_MINUTES:
        return MEDIUM_FIRST + -(-(minutes - FINE_MINUTES) // MEDIUM_STEP)
    if minutes <= COARSE_MINUTES:
        return COARSE_FIRST + -(-(minutes - MEDIUM_MINUTES) // COARSE_STEP)
    return OVERFLOW


def upper_minutes(bucket: int) -> int | None:
    """The longest duration, in minutes, that falls in `bucket` (None: beyond 1,000 hours)."""
    if bucket <= MEDIUM_FIRST:
        return bucket
    if bucket <= COARSE_FIRST:
        return FINE_MINUTES + (bucket - MEDIUM_FIRST) * MEDIUM_STEP
    if bucket < OVERFLOW:
        return MEDIUM_MINUTES + (bucket - COARSE_FIRST) * COARSE_STEP
    return None


def bucket_sql(seconds: str) -> str:
    """`bucket_of` as an SQL expression over an integer column of seconds (integer division)."""
    m = f"(({seconds} + 59) / 60)"
    return (
        f"CASE WHEN {m} <= {FINE_MINUTES} THEN {m} "
        f"WHEN {m} <= {MEDIUM_MINUTES} "
        f"THEN {MEDIUM_FIRST} + ({m} - {FINE_MINUTES} + {MEDIUM_STEP - 1}) / {MEDIUM_STEP} "
        f"WHEN {m} <= {COARSE_MINUTES} "
        f"THEN {COARSE_FIRST} + ({m} - {MEDIUM_MINUTES} + {COARSE_STEP - 1}) / {COARSE_STEP} "
        f"ELSE {OVERFLOW} END"
    )
