"""Pure rules of the outbox: retry schedule and French mobile numbers. No Django, no database."""

from __future__ import annotations

import datetime as dt
import re

# Attempt n (1-based) that fails is retried after BACKOFF[n-1]; the MAX_ATTEMPTS-th failure is final.
MAX_ATTEMPTS = 6
BACKOFF = tuple(dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 60))
# A row claimed for sending longer ago than this belongs to a worker that died: the sweep takes it back.
STUCK_AFTER = dt.timedelta(minutes=10)
# A pending row whose on-commit task has not claimed it after this long is queued again by the sweep.
PENDING_GRACE = dt.timedelta(minutes=2)

_SEPARATORS = re.compile(r"[\s.\-]")
_MOBILE = re.compile(r"^(?:(?:\+33|0033)0?|0)([67]\d{8})$")


def retry_delay(attempts: int) -> dt.timedelta | None:
    """Delay before the next try after ``attempts`` failed tries, or None when it is time to give up."""
    if attempts < 1:
        raise ValueError("attempts counts the tries made, starting at 1")
    if attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def french_mobile_e164(raw: str) -> str | None:
    """``06 12 34 56 78``, ``+33 6 12 34 56 78``, ``+33 (0)7…``, ``0033 6…`` → ``+33612345678``; else None.

    Only metropolitan mobile numbers (06, 07) are accepted: SMS alerts go to mobiles.
    """
    compact = _SEPARATORS.sub("", raw.strip()).replace("(0)", "")
    match = _MOBILE.match(compact)
    return f"+33{match.group(1)}" if match else None
