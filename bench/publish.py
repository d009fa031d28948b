"""Where people wait (issue 22): `publish` and `plan` with 3 posts due, and a pull request's `check`, on
a repository of 5,000 posts (4 accounts each), as commands, next to a Python floor in the same run.

Every row runs `python build.py …` as a user or a workflow does, so it includes starting Python and
importing what the command needs; the floor is a bare Python that reads and hashes the same post files,
config.yml and state/ (what no implementation can skip without a cache). Each row prints the median wall
time and the median CPU time (the command's user+system, its worker processes included) of --repeat
runs, and CPU as a ratio to the floor's. Nothing is asserted: the machine is small and shared.

Rows: what importing the stages `publish` needs costs alone; cold (no .postwright-cache/: a fresh clone)
and restored (CI: the files checked out anew, with new times and inodes, and the cache of an earlier build
restored). `check` restored has 3 posts changed, as in
a pull request; `check PATHS` names those 3 files (it still checks the whole brand: duplicates, renames).
`plan` checks the upcoming jobs from its light memo (.postwright-cache/plan.pickle), which the first plan
after a build or a restore makes from the render memo: "light memo made" is that first run.

Measured on the 2-core sandbox while other jobs ran (medians of 3; CPU seconds, wall time varied 2-3×
with the load), main at 187bea7 before and i22-paths after, each in its own run of this script:
                                     before    after   (floor: 0.19-0.20 s CPU)
  publish, cold                       4.2 s    3.4 s   every post's front matter is parsed: the ids,
                                                       dates and accounts exactly-once and renames need
  plan, cold                         18.9 s   16.0 s   16,784 upcoming jobs rendered and checked
  check, cold                        19.8 s   16.6 s   (cold rows: partly noise; same work)
  publish, restored                   3.2 s    1.3 s   0.64 s of it is importing the stages
  plan, restored                      4.0 s    1.9 s
  check, restored, 3 changed          3.5 s    1.7 s   (check PATHS: the same, 3.3 s and 1.6 s)
Issue 22 (i22-plan), main at bb705dd before, each in its own run of this script on a heavily loaded machine
(CPU medians of 3; main's two plan rows are the same work, so their gap is the noise):
                                     before    after
  importing publish's stages          0.81 s   0.70 s   media, write, workflow, brand kit no longer
  publish, restored                   1.86 s   1.75 s   (twitter-text's import still on its path)
  plan, restored, light memo made     2.94 s   2.48 s   the first plan after a build makes plan.pickle
  plan, restored                      2.52 s   1.94 s
  check, restored, 3 changed          2.12 s   2.03 s   (unchanged: check reads the whole render memo)
Before, a restored cache missed every post (the posts memo was keyed by stat, new after a checkout) and
plan and publish did not read it at all. In CI the memos also need postwright's own code fingerprinted
by content (a fresh install has new file times).

Issue 22 (i22-fast), main at b175b82: this script now compiles postwright's bytecode first, as pip does
on install. This sandbox sets PYTHONDONTWRITEBYTECODE=1, so every earlier row compiled postwright's
modules from source on every run: importing the stages took 0.65 s CPU without the bytecode and 0.55 s
with it (medians of 5, same code), about 0.1 s of every row below. With it, in one run on a loaded
machine (floor 0.26 s CPU): publish, restored 0.94 s; plan, restored 1.38 s; check, restored, 3 changed
1.47 s; importing publish's stages 0.76 s.

    python bench/publish.py [--posts 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from text_build import make_corpus

REPO = Path(__file__).resolve().parent.parent
AT = "2027-04-11T09:05"  # 100 days after the first post: 3 posts due (12 jobs), 4,200 upcoming
IMPORTS = "import postwright.cli, postwright.config, postwright.pipeline, postwright.job_summary"
FLOOR = """
import hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
for folder in ("content", "state"):
    for path in sorted((root / folder).rglob("*")):
        if path.is_file():
            hashlib.sha256(path.read_bytes()).hexdigest()
hashlib.sha256((root / "config.yml").read_bytes()).hexdigest()
"""


def timed(command: list[str | Path], repeat: int, before=None) -> tuple[float, float]:
    """Median wall and CPU time of `repeat` runs of `command`; `before` runs untimed before each."""
    walls, cpus = [], []
    for _ in range(repeat):
        if before:
            before()
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    # under the repository, not /tmp: on this sandbox /tmp writes are much slower than the work disk
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent, prefix=".corpus-") as folder:
        root = Path(folder)
        make_corpus(root, options.posts)  # 8 posts a day from 2027-01-01 at 09:00
        (root / "state").mkdir()
        # as an installed postwright runs (pip writes the bytecode): where PYTHONDONTWRITEBYTECODE is set (as
        # in the sandbox), every run would otherwise compile postwright's modules again (~0.15 s of each row)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", REPO / "postwright"], capture_output=True, check=False
        )
        cli = [sys.executable, REPO / "build.py", "-C", root]
        cache = root / ".postwright-cache"
        posts = sorted((root / "content" / "posts").glob("*.md"))
        changed = posts[options.posts // 2 : options.posts // 2 + 3]

        def cold() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def checked_out_anew() -> None:
            """As actions/checkout leaves the files: same bytes, new times and inodes."""
            for path in posts:
                content = path.read_bytes()
                path.unlink()
                path.write_bytes(content)

        floor = timed([sys.executable, "-c", FLOOR, root], options.repeat)
        rows = [("floor (Python reads the same files)", floor)]
        rows.append(("importing publish's stages", timed([sys.executable, "-c", IMPORTS], options.repeat)))
        publish = [*cli, "publish", "--dry-run", "--at", AT]
        plan = [*cli, "plan", "--at", AT]
        rows.append(("publish, cold", timed(publish, options.repeat, cold)))
        rows.append(("plan, cold", timed(plan, options.repeat, cold)))
        rows.append(("check, cold", timed([*cli, "check"], options.repeat, cold)))
        subprocess.run([*cli, "build"], capture_output=True, check=False)  # the cache CI restores
        shutil.rmtree(root / "publish")  # CI uploads publish/ elsewhere; only the cache is restored
        checked_out_anew()
        rows.append(("publish, restored", timed(publish, options.repeat)))
        light = root / ".postwright-cache" / "plan.pickle"
        first = timed(plan, options.repeat, lambda: light.unlink(missing_ok=True))
        rows.append(("plan, restored, light memo made", first))
        rows.append(("plan, restored", timed(plan, options.repeat)))
        for path in changed:  # a pull request's 3 edits
            path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        rows.append(("check, restored, 3 changed", timed([*cli, "check"], options.repeat)))
        rows.append(("check PATHS, restored, 3 changed", timed([*cli, "check", *changed], options.repeat)))
        print(f"{options.posts} posts, 4 accounts each; medians of {options.repeat} runs")
        print(f"{'':36} {'wall':>8} {'CPU':>8} {'CPU / floor':>12}")
        for name, (wall, cpu) in rows:
            print(f"{name:36} {wall:7.2f}s {cpu:7.2f}s {cpu / floor[1]:11.1f}×")
        sent = subprocess.run([*cli, "publish", "--at", AT], capture_output=True, text=True, check=False)
        said = sent.stderr.strip().splitlines()[-1:]
        print(f"publish (sent to the outbox): exit {sent.returncode}; {said}")


if __name__ == "__main__":
    main()
