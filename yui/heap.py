"""The garbage collector of a long-running Yui process.

What start-up builds (Django, the schemas, the supergraph, the gateway's compiled plans so
far) lives as long as the process. A request leaves thousands of short-lived objects in
reference cycles (graphql-core's execution keeps its context in one), which only the cycle
collector frees; every full collection also walks everything start-up built, which made it
the largest single cost of a department week (about 40 ms per request on average, see
``benchmarks/calendar_week.py``). ``settle`` moves what exists at start-up out of the
collector's sight (``gc.freeze``), so full collections walk only what requests made.

It also makes the youngest generation larger (``YOUNG_THRESHOLD`` container allocations
between collections instead of CPython's 700). Objects alive at a collection move to an
older generation, and a change of presence puts a thousand deliveries in flight at once:
with the default, every few hundred allocations promoted the in-flight objects of the
deliveries, which filled the old generation and set off a full collection (a pause that
walks every open connection's objects, 80 to 290 ms with 1,000 subscribers) every second
or so. With the larger generation most of those objects are gone before the collector
looks: ``benchmarks.subscriptions`` measured about 12 full collections in 15 s before and
one after. The cost is cyclic garbage held a little longer (at most ``YOUNG_THRESHOLD``
objects, a few MB).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 20


def settle() -> None:
    """Call once the application is built, before serving the first request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
