"""Text engine benchmark: what counting, splitting and the link checks cost, apart from the rest of a build.

Two tables, ours beside `--baseline CHECKOUT`'s code in the same run (medians of `--repeat` alternating
runs, CPU time: user + sys of a child process; nothing is asserted):
- rendering, splitting, checking and the text facts of every post of a generated corpus (the posts of
  bench/text_build.py) in one process, without the reading, the images and the writing around them: the
  part of `build` (memos removed) that postwright.text, split and validate decide, and split_to_fit's
  share of it (CPU inside that function, timed in the child);
- starting Python and counting one text for X (`postwright.text.x_weighted_length`): prose, prose with a
  link, prose with a link and an emoji, as `check`, `plan` and `publish` do for a few posts.

    python bench/text_engine.py [--posts 5000] [--repeat 3] [--baseline CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from text_build import make_corpus

REPO = Path(__file__).resolve().parent.parent

# Run in the child with the checkout's code: every post for every account, as pipeline.check renders it
RENDER = """
import sys
from pathlib import Path
from postwright import pipeline, render, validate, write
from postwright.project import Project

project = Project(Path(sys.argv[1]))
config, loaded, _ = pipeline.load(project)
templates = render.load_templates(project)
for post in loaded.posts:
    for account in post.targets:
        render._render_job(
            post, account, config=config, templates=templates, check=validate.check_variant,
            facts=write.text_facts,
        )
"""
LOADING = """
import sys
from pathlib import Path
from postwright import pipeline, render
from postwright.project import Project

project = Project(Path(sys.argv[1]))
pipeline.load(project)
render.load_templates(project)
"""
# The same render, timing only split_to_fit (CPU of this process, printed): the thread splitter's share
SPLIT = (
    RENDER.replace(
        "for post in",
        """import time
spent = 0.0
split_to_fit = render.split_to_fit
def timed(*arguments):
    global spent
    started = time.process_time()
    parts = split_to_fit(*arguments)
    spent += time.process_time() - started
    return parts
render.split_to_fit = timed
for post in""",
    )
    + "print(spent)\n"
)
COUNT = "import sys; from postwright import text; text.x_weighted_length(sys.argv[1])"
SAMPLES = {
    "prose": "Kites over the bay all weekend: bring a spool, we bring the wind. — Bench",
    "prose + link": "Kites over the bay all weekend: https://example.com/kites — Bench",
    "prose + link + emoji": "Kites 🪁 over the bay all weekend: https://example.com/kites — Bench",
}


def cpu(checkout: Path, arguments: list[str]) -> float:
    """CPU seconds (user + sys) of one Python child running with `checkout`'s code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    # -P: the current folder (maybe a checkout) must not come before PYTHONPATH on sys.path
    subprocess.run([sys.executable, "-P", *arguments], check=True, capture_output=True, env=environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def printed(checkout: Path, arguments: list[str]) -> float:
    """The seconds a Python child running with `checkout`'s code prints last."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, "-P", *arguments]
    done = subprocess.run(command, check=True, capture_output=True, env=environment)
    return float(done.stdout.split()[-1])


Measure = Callable[[Path, list[str]], float]


def medians(
    checkouts: dict[str, Path], arguments: list[str], repeat: int, measure: Measure = cpu
) -> dict[str, float]:
    """Median of `measure` (CPU by default) per checkout, the runs alternating between them."""
    runs: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(repeat):
        for name, checkout in checkouts.items():
            runs[name].append(measure(checkout, arguments))
    return {name: statistics.median(values) for name, values in runs.items()}


def row(label: str, found: dict[str, float]) -> None:
    cells = "  ".join(f"{name} {seconds:6.2f} s" for name, seconds in found.items())
    ours, *others = found.values()
    ratio = f"  ours/baseline {ours / others[0]:.2f}×" if others and others[0] else ""
    print(f"{label:<40} {cells}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another postwright checkout, measured beside ours")
    arguments = parser.parse_args()
    checkouts = {"ours": REPO}
    if arguments.baseline:
        checkouts["baseline"] = arguments.baseline.resolve()
    with tempfile.TemporaryDirectory(prefix="postwright-bench-") as folder:
        corpus = Path(folder) / "corpus"
        make_corpus(corpus, arguments.posts)
        print(f"{arguments.posts} posts × 4 accounts, CPU medians of {arguments.repeat} (user + sys)")
        loading = medians(checkouts, ["-c", LOADING, str(corpus)], arguments.repeat)
        whole = medians(checkouts, ["-c", RENDER, str(corpus)], arguments.repeat)
        row("load the posts (the part not timed below)", loading)
        row("render + split + check + text facts", {name: whole[name] - loading[name] for name in whole})
        splitting = medians(checkouts, ["-c", SPLIT, str(corpus)], arguments.repeat, printed)
        row("of which split_to_fit", splitting)
    for label, sample in SAMPLES.items():
        row(f"start, count for X: {label}", medians(checkouts, ["-c", COUNT, sample], arguments.repeat))


if __name__ == "__main__":
    main()
