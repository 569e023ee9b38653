"""The garbage collector of a long-running Yui process.

What start-up builds (Django, the schemas, the supergraph, the gateway's compiled plans so
far) lives as long as the process. A request leaves thousands of short-lived objects in
reference cycles (graphql-core's execution keeps its context in one), which only the cycle
collector frees; every full collection also walks everything start-up built, which made it
the largest single cost of a department week (about 40 ms per request on average, see
``benchmarks/calendar_week.py``). ``settle`` moves what exists at start-up out of the
collector's sight (``gc.freeze``), so full collections walk only what requests made.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once the application is built, before serving the first request."""
    gc.collect()
    gc.freeze()
