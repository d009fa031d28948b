"""`metrics report` over a year of data (issue 19): 5 posts a day on 6 platforms, each delivery read 25 times
as it aged (1 h to 89 d, the numbers growing), about 220,000 rows written with the store into
state/metrics/, with the 1,825 post files and the ledger they came from. Target: under 2 s and under 300 MB.

Every row runs `python build.py metrics report …` as a user or the workflow does (starting Python and
importing what the command needs included), cold (no .postwright-cache/: a fresh checkout) and after a
`build` (its posts memo is what a scheduled job restores). The floor reads the same CSV files with the csv
module alone and nothing else. Each row prints the median wall time, the median CPU time (user + system,
worker processes included) and the peak memory (the largest resident set of a run) of --repeat runs.
With --baseline REF, the same rows run with postwright as it was at that git commit too, side by side,
and each format's output of both is compared byte for byte. Nothing is asserted: the machine is small and
shared, so the load average is printed before and after.

    python bench/metrics_report.py [--days 365] [--repeat 5] [--baseline main]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from postwright.insights.model import Observation  # noqa: E402
from postwright.insights.store import store_observations  # noqa: E402

ACCOUNTS = {  # account -> (platform, how its numbers look)
    "x_main": "x",
    "sky": "bluesky",
    "masto": "mastodon",
    "li": "linkedin",
    "threads": "threads",
    "fb": "facebook",
}
CONFIG = """\
brand:
  name: Bench Café
  timezone: Europe/Madrid
  platforms: [x, bluesky, mastodon, linkedin, threads, facebook]
accounts:
""" + "".join(f"  {name}: {{platform: {platform}}}\n" for name, platform in ACCOUNTS.items())
HOURS = (8, 10, 13, 17, 20)  # five posts a day, local time
AGES_H = (1, 2, 3, 4, 5, 6, 8, 9, 12, 15, 18, 24, 36, 48, 60, 72, 96, 120, 144, 168, 240, 360, 480, 720, 2136)
TAGS = ("Repair", "Events", "Bikes", "Sewing", "Zero", "Community", "Tips")
FLOOR = """
import csv, pathlib, sys
rows = 0
for path in sorted((pathlib.Path(sys.argv[1]) / "state" / "metrics").rglob("*.csv")):
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            rows += 1
print(rows)
"""


def metrics_of(platform: str, draw: random.Random, base: int, grown: float) -> dict[str, int]:
    """Plausible numbers under the platform's own names, growing with age."""

    def n(scale: float) -> int:
        return int(base * scale * grown)

    if platform == "x":
        return {"like_count": n(1), "retweet_count": n(0.2), "reply_count": n(0.1), "impression_count": n(40)}
    if platform == "bluesky":
        return {"likeCount": n(1), "repostCount": n(0.3), "replyCount": n(0.1), "quoteCount": n(0.02)}
    if platform == "mastodon":
        return {"favourites_count": n(1), "reblogs_count": n(0.3), "replies_count": n(0.1)}
    if platform == "linkedin":
        return {"likeCount": n(1), "clickCount": n(0.5), "commentCount": n(0.1), "impressionCount": n(30)}
    if platform == "threads":
        return {"likes": n(1), "replies": n(0.1), "reposts": n(0.2), "views": n(25)}
    return {"reactions": n(1), "comments": n(0.1), "shares": n(0.1), "post_impressions": n(35)}


def make_brand(root: Path, days: int) -> int:
    """config.yml, content/posts/, state/ledger.jsonl and state/metrics/; returns the rows stored."""
    draw = random.Random(19)
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "assets").mkdir()
    shutil.copy(next((REPO / "assets").rglob("*.jpg")), root / "assets" / "photo.jpg")
    posts, ledger, observations = root / "content" / "posts", [], []
    posts.mkdir(parents=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    last_read = start + timedelta(days=days)
    for day in range(days):
        for hour in HOURS:
            published = start + timedelta(days=day, hours=hour - 1)  # CET; a wrong hour in summer is fine
            post_id = f"{published:%Y-%m-%d-%H%M}-post"
            tags = draw.sample(TAGS, 2)
            image = "images:\n  - src: photo.jpg\n    alt: A repaired lamp\n" if draw.random() < 0.4 else ""
            (posts / f"{post_id}.md").write_text(
                f"---\ntitle: Post {day}/{hour}\ntags: [{', '.join(tags)}]\n{image}---\nFixed today.\n",
                encoding="utf-8",
            )
            for account, platform in ACCOUNTS.items():
                key = f"{post_id}.en/{account}"
                parts = 2 if draw.random() < 0.1 and platform in ("x", "bluesky", "mastodon") else 1
                ledger += [
                    _record(key, post_id, account, platform, published, part, parts) for part in range(parts)
                ]
                base = draw.randint(1, 30) * (2 if hour == 17 else 1)
                for age in AGES_H:
                    observed = published + timedelta(hours=age)
                    if observed > last_read:
                        break
                    grown = 1 - 0.9 ** (age / 6 + 1)
                    metrics = metrics_of(platform, draw, base, grown + draw.random() * 0.01)
                    observations.append(
                        Observation(key, post_id, "en", account, platform, published, observed, metrics)
                    )
    (root / "state").mkdir()
    (root / "state" / "ledger.jsonl").write_text("".join(ledger), encoding="utf-8")
    store_observations(root, observations)
    return sum(1 for path in (root / "state" / "metrics").rglob("*.csv") for _ in path.open()) - sum(
        1 for _ in (root / "state" / "metrics").rglob("*.csv")
    )


def _record(key: str, post_id: str, account: str, platform: str, at: datetime, part: int, parts: int) -> str:
    import json

    return (
        json.dumps(
            {
                "key": key,
                "part": part + 1,
                "parts": parts,
                "status": "published",
                "idempotency_key": f"{key}#{part + 1}",
                "post_id": post_id,
                "account": account,
                "platform": platform,
                "content_hash": "sha256:0",
                "time": at.isoformat(),
                "remote_id": f"{post_id}-{account}-{part}",
                "url": f"https://{platform}.example/{account}/{post_id}/{part}",
                "via": "api",
            },
            sort_keys=True,
        )
        + "\n"
    )


def timed(command: list[str | Path], repeat: int) -> tuple[float, float, float]:
    """Median wall time, median CPU time and the peak resident memory (MB) of `repeat` runs."""
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        script = (
            "import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", script, *map(str, command)], capture_output=True, text=True
        )
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            raise SystemExit(f"{' '.join(map(str, command))} failed:\n{done.stderr}")
        cpus.append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
        peaks.append(int(done.stdout.split()[-1]) / 1024)
    return statistics.median(walls), statistics.median(cpus), max(peaks)


Timing = tuple[float, float, float]
FORMATS = ("json", "markdown", "html")


def measure(code: Path, root: Path, repeat: int) -> tuple[dict[str, Timing], dict[str, bytes]]:
    """The report's rows with the postwright in `code` (its build.py imports the postwright beside it),
    cold and after that code's own build; and each format's output."""
    shutil.rmtree(root / ".postwright-cache", ignore_errors=True)
    command = [sys.executable, code / "build.py", "-C", root, "metrics", "report", "--since", "28d"]
    rows = {f"--format {name}, cold": timed([*command, "--format", name], repeat) for name in FORMATS}
    subprocess.run([sys.executable, code / "build.py", "-C", root, "build"], capture_output=True, check=False)
    for name in FORMATS:
        rows[f"--format {name}, after a build"] = timed([*command, "--format", name], repeat)
    outputs = {
        name: subprocess.run([*map(str, command), "--format", name], capture_output=True, check=True).stdout
        for name in FORMATS
    }
    return rows, outputs


def checkout(ref: str, folder: Path) -> Path:
    """postwright/ and build.py as they were at `ref`, exported (not checked out) into `folder`."""
    archive = subprocess.run(
        ["git", "-C", REPO, "archive", "--format=tar", ref, "postwright", "build.py"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return folder


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", metavar="REF", help="also time postwright as at this git commit")
    options = parser.parse_args()
    # under the repository, not /tmp: on this sandbox /tmp writes are much slower than the work disk
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent, prefix=".metrics-") as folder:
        root = Path(folder) / "brand"
        root.mkdir()
        began = time.perf_counter()
        rows = make_brand(root, options.days)
        size = sum(path.stat().st_size for path in (root / "state" / "metrics").rglob("*.csv"))
        print(
            f"{options.days} days: {rows:,} rows, {size / 1e6:.1f} MB in state/metrics/ "
            f"(made in {time.perf_counter() - began:.0f} s); medians of {options.repeat} runs"
        )
        print(f"before: {load()}")
        floor = timed([sys.executable, "-c", FLOOR, root], options.repeat)
        before = None
        if options.baseline:
            (Path(folder) / "baseline").mkdir()
            before = measure(checkout(options.baseline, Path(folder) / "baseline"), root, options.repeat)
        now, outputs = measure(REPO, root, options.repeat)
        print(f"after:  {load()}")
        report(floor, now, before, options.baseline, outputs)


def report(
    floor: Timing,
    now: dict[str, Timing],
    before: tuple[dict[str, Timing], dict[str, bytes]] | None,
    baseline: str | None,
    outputs: dict[str, bytes],
) -> None:
    """The table: wall, CPU and peak memory of each row, beside the baseline's where there is one."""
    print(
        f"floor (csv module reads every file): {floor[0]:.2f} s wall, {floor[1]:.2f} s CPU, {floor[2]:.0f} MB"
    )
    if before is None:
        print(f"{'metrics report':36} {'wall':>7} {'CPU':>7} {'peak MB':>8}")
        for label, (wall, cpu, peak) in now.items():
            print(f"{label:36} {wall:6.2f}s {cpu:6.2f}s {peak:8.0f}")
        return
    old, old_outputs = before
    print(
        f"{'metrics report':36} {'CPU ' + baseline[:10]:>16} {'CPU now':>8} {'×':>5} {'wall then':>10} "
        f"{'wall now':>9} {'MB then':>8} {'MB now':>7}"
    )
    for label, (wall, cpu, peak) in now.items():
        then = old[label]
        print(
            f"{label:36} {then[1]:15.2f}s {cpu:7.2f}s {then[1] / cpu:5.1f} {then[0]:9.2f}s {wall:8.2f}s "
            f"{then[2]:8.0f} {peak:7.0f}"
        )
    same = [name for name in FORMATS if old_outputs[name] == outputs[name]]
    print(f"same bytes as {baseline}: {', '.join(same) or 'none'} of {', '.join(FORMATS)}")


if __name__ == "__main__":
    main()
