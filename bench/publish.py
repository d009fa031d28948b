"""Publish-step benchmark: a repository of 5,000 posts with 3 due, published to the outbox.

Prints the wall time of one `publish` run (target: under 1.5 s) next to a full `build` of the same
repository, to show that the publish step reads and renders only what it needs. Nothing is asserted.

    python bench/publish.py [--posts 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from text_build import make_corpus

from postwright import pipeline
from postwright.project import Project


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent, prefix=".corpus-") as folder:
        root = Path(folder)
        make_corpus(root, options.posts)  # 8 posts a day from 2027-01-01 at 09:00
        project = Project(root)
        now = datetime(2027, 1, 1, 9, 5, tzinfo=ZoneInfo("Europe/Madrid")) + timedelta(days=100)
        started = time.perf_counter()
        result = pipeline.publish(project, now)
        elapsed = time.perf_counter() - started
        sent = sum(1 for outcome in result.outcomes if outcome.status == "published")
        due_posts = len({outcome.key.split("/")[0] for outcome in result.outcomes})
        print(f"{options.posts} posts, {due_posts} due ({sent} jobs published to the outbox)")
        print(f"publish                 {elapsed:7.2f} s  (target < 1.5 s)")
        again = time.perf_counter()
        pipeline.publish(project, now)
        print(f"publish again (nothing due) {time.perf_counter() - again:5.2f} s")


if __name__ == "__main__":
    main()
