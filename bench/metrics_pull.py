"""`postwright metrics pull` with nothing due, on a brand with 5,000 published deliveries (issue 19: under
1 s as a command), side by side with the floors under it.

Prints wall-clock medians and CPU time (user + system of the child) of N runs each; nothing is asserted
(the machine is small and noisy). The brand is generated in a temporary folder: 5,000 deliveries through
the API on a Mastodon and a Bluesky account (30 a day for about 5.5 months, a third of them threads of 2
or 3 parts), each already read at the last age band it reached, its older readings compacted as `metrics
pull` leaves them, and both accounts' numbers already read today. So the run reads config.yml, the ledger
and state/metrics/, finds nothing due, asks no platform and writes nothing.

    python bench/metrics_pull.py [--deliveries 5000] [--repeat 7]

Rows:
- python -c pass: the interpreter's start-up, the floor of any command.
- reading the ledger alone: start-up, then postwright.ledger.Ledger(...).read() of the same ledger.
- postwright --version: start-up plus the CLI's own imports.
- metrics pull (nothing due): the command itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from postwright.insights import due, store  # noqa: E402
from postwright.insights.model import AccountObservation, Observation  # noqa: E402
from postwright.ledger import Record, RecordStatus  # noqa: E402

NOW = datetime(2027, 6, 15, 12, 0, tzinfo=UTC)
CONFIG = """\
brand:
  name: Bench Brand
  timezone: UTC
  platforms: [mastodon, bluesky]
accounts:
  masto:
    platform: mastodon
    deliver: api
    settings: {instance: "http://127.0.0.1:9"}
    credentials: {access_token: BENCH_MASTO_TOKEN}
  sky:
    platform: bluesky
    language: en
    deliver: api
    handle: brand.example
    settings: {appview_url: "http://127.0.0.1:9"}
    credentials: {app_password: BENCH_SKY_PASSWORD}
"""
ENV = {**os.environ, "BENCH_MASTO_TOKEN": "x", "BENCH_SKY_PASSWORD": "x", "PYTHONPATH": str(HERE.parent)}


def make_brand(root: Path, deliveries: int) -> None:
    """config.yml, the ledger and state/metrics/ as a year of running `metrics pull` leaves them."""
    (root / "config.yml").write_text(CONFIG)
    (root / "state").mkdir()
    ledger_lines: list[str] = []
    observations: list[Observation] = []
    for number in range(deliveries):
        account, platform = ("masto", "mastodon") if number % 2 else ("sky", "bluesky")
        published = NOW - timedelta(hours=2 + number * 24 / 30)  # 30 a day, the newest 2 h old
        post_id = f"{published:%Y-%m-%d}-repair-cafe-news-{number}"
        key = f"{post_id}.en/{account}"
        parts = 1 + (number % 3 == 0) + (number % 9 == 0)
        for part in range(1, parts + 1):
            remote = (
                f"at://did:plc:bench/app.bsky.feed.post/{number:08d}{part}"
                if account == "sky"
                else f"{number}{part}"
            )
            common = dict(
                key=key, part=part, parts=parts, idempotency_key=f"{key}-{part}", post_id=post_id,
                account=account, platform=platform, content_hash="sha256:0", time=published.isoformat(),
                via="api",
            )  # fmt: skip
            for status in (RecordStatus.STARTED, RecordStatus.PUBLISHED):
                record = Record(status=status, **common, remote_id=remote if status == "published" else None)
                ledger_lines.append(_json(record))
        ages = [age for age in due.ages_for(platform) if published + age <= NOW]
        for index, age in enumerate(ages):
            counts = {"likes": 3 * index + number % 7, "reposts": index}
            observed = min(published + age + timedelta(minutes=10), NOW)
            observations.append(
                Observation(key, post_id, "en", account, platform, published, observed, counts)
            )
    (root / "state" / "ledger.jsonl").write_text("".join(line + "\n" for line in ledger_lines))
    store.store_observations(root, observations)
    store.compact(root, NOW)
    today = NOW.replace(hour=6)
    accounts = (("masto", "mastodon"), ("sky", "bluesky"))
    store.store_accounts(
        root, [AccountObservation(name, where, today, {"followers": 10}) for name, where in accounts]
    )


def _json(record: Record) -> str:
    import json
    from dataclasses import asdict

    return json.dumps(asdict(record), sort_keys=True)


def timed(command: list[str], repeat: int, cwd: Path) -> tuple[float, float, str]:
    """Median wall seconds, median CPU seconds (user + system of the child) and the last output."""
    walls, cpus, output = [], [], ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        output = done.stdout + done.stderr
    return statistics.median(walls), statistics.median(cpus), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postwright-bench-metrics-") as folder:
        root = Path(folder)
        make_brand(root, options.deliveries)
        rows = sum(1 for _ in store.read_observations(root))
        size = sum(path.stat().st_size for path in (root / "state").rglob("*") if path.is_file())
        print(f"brand: {options.deliveries:,} deliveries, {rows:,} stored readings, state/ {size:,} bytes")
        before = {path: path.stat().st_mtime_ns for path in (root / "state").rglob("*") if path.is_file()}
        python = sys.executable
        read_ledger = f"import pathlib, postwright.ledger as l; l.Ledger(pathlib.Path('{root}/state')).read()"
        pull = [python, "-m", "postwright", "metrics", "pull", "--at", NOW.isoformat()]
        cases = [
            ("python -c pass", [python, "-c", "pass"]),
            ("reading the ledger alone", [python, "-c", read_ledger]),
            ("postwright --version", [python, "-m", "postwright", "--version"]),
            ("metrics pull (nothing due)", pull),
        ]
        results = [(name, *timed(command, options.repeat, root)) for name, command in cases]
        after = {
            path: path.stat().st_mtime_ns
            for path in (root / "state").rglob("*")
            if path.is_file() and path.name != "pull.lock"
        }
        assert all(before.get(path) == stamp for path, stamp in after.items()), (
            "a file under state/ was written"
        )
        assert "read 0 post(s)" in results[-1][3], results[-1][3]
        print(f"{'':28} {'wall (median)':>14} {'CPU (median)':>13} {'× python -c pass':>17}")
        floor = results[0][1]
        for name, wall, cpu, _ in results:
            print(f"{name:28} {wall:13.3f}s {cpu:12.3f}s {wall / floor:16.1f}×")
        print(f"target: metrics pull under 1 s; measured {results[-1][1]:.3f} s")


if __name__ == "__main__":
    main()
