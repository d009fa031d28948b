"""Meta's Graph API version, as the Facebook and Instagram declarations state it (graph.py is the client).

Facebook and Instagram send GRAPH_API's version, v25.0, which Meta serves until 2028-07-29
(developers.facebook.com/docs/graph-api/changelog/versions: each version with its release and expiration
date; v26.0 is out with no date yet, so v25.0 is the newest with a published end). doctor warns 90 days
before it. Threads has its own versions (platforms/threads).
"""

from __future__ import annotations

from datetime import date

from postwright.platforms.base import ApiVersion

# Graph API versions and the day each expires (developers.facebook.com/docs/graph-api/changelog/versions),
# for doctor to judge an account whose settings.graph_version sends another one than the pin
GRAPH_VERSIONS = {
    "v19.0": date(2026, 5, 21),
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
}
GRAPH_API = ApiVersion(
    "Graph API",
    "v25.0",
    end_of_life=GRAPH_VERSIONS["v25.0"],
    source="developers.facebook.com/docs/graph-api/changelog/versions",
    setting="graph_version",
    end_of=GRAPH_VERSIONS.get,
)
