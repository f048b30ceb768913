"""Schemathesis hooks for tests/conformance/run.sh (SCHEMATHESIS_HOOKS)."""

import schemathesis

# GET /__admin/requests?wait=<s> holds the answer up to 60 s when nothing
# matches. Every phase (the coverage phase too, which probes the bounds)
# gets the wait cut to a fraction of a second: the waiting path still runs,
# the run stays bounded.
SHORTEST_INTERESTING_WAIT = 0.2


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.path != "/__admin/requests" or not case.query or "wait" not in case.query:
        return
    try:
        seconds = float(case.query["wait"])
    except (TypeError, ValueError):
        return  # not a number: the server refuses it at once
    if seconds > SHORTEST_INTERESTING_WAIT and seconds <= 60:
        case.query["wait"] = SHORTEST_INTERESTING_WAIT
