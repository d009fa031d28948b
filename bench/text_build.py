"""Text build benchmark: our full `build` (no images) against Hugo on the same 5,000 Markdown posts.

Prints medians of wall and CPU time (user + sys of the child) and their ratios, measured side by side
in one run; nothing is asserted (the machine is small and noisy). Every row runs `python build.py build`
as a user does, so it includes starting Python and importing what the command needs, as Hugo's time
includes starting Hugo. Rows: a build into the existing publish/ (the stamp and the memos of
.postwright-cache/ removed, so every post is read and rendered again), a build into an empty publish/ as
a fresh CI checkout has it (without .postwright-cache/, with it restored, and with it restored and every
input file written anew as a checkout leaves it), a build into the existing publish/ with the memos
kept, a rebuild after one post's text changed, a no-op rebuild, and `preview` against `build` (both
full, side by side: wall and CPU time, peak memory, index.html's bytes, and the time Chromium takes to
open the page from disk and show the list and a post).
`--baseline /path/to/other/checkout` runs the build rows with that checkout's code too, beside ours.
Hugo comes from Debian's `hugo` package (`apt-get install hugo`); without it the Hugo rows are
skipped and said so. The posts are prose paragraphs, which skip Python-Markdown (their tree is built
directly, tested equal); posts with Markdown syntax in them take longer.

    python bench/text_build.py [--posts 5000] [--repeat 3] [--baseline CHECKOUT]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from itertools import count
from pathlib import Path

from postwright import cache, pipeline
from postwright.project import Project

REPO = Path(__file__).resolve().parent.parent
_VOCABULARY = (
    "kite wind beach sail fly light strong repair workshop family morning breeze line colour summer festival "
    "spool tail knot ripstop frame launch weekend coast gust tide sand bridle pocket sky"
)
WORDS = _VOCABULARY.split()
CONFIG = """\
brand:
  name: Bench Kites
  timezone: Europe/Madrid
  platforms: [x, bluesky, mastodon, linkedin]
  signature: "— Bench"
accounts:
  x: {platform: x}
  sky: {platform: bluesky}
  masto: {platform: mastodon}
  li: {platform: linkedin}
"""


def make_corpus(root: Path, count: int) -> None:
    """`count` posts of ~150 words, as a postwright project and as a Hugo site over the same files."""
    rng = random.Random(42)
    (root / "templates").mkdir(parents=True)
    for template in (REPO / "templates").glob("*.j2"):
        shutil.copy(template, root / "templates" / template.name)
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    posts = root / "content" / "posts"
    posts.mkdir(parents=True)
    start = date(2027, 1, 1)
    for index in range(count):
        words = [rng.choice(WORDS) for _ in range(150)]
        paragraphs = [" ".join(words[i : i + 50]).capitalize() + "." for i in range(0, 150, 50)]
        day = start + timedelta(days=index // 8)
        hour = (6, 7, 8, 9, 12, 15, 18, 21)[index % 8]  # at 09:05 three are due, one missed, four upcoming
        (posts / f"{day}-{hour:02d}00-{index:05d}-post.md").write_text(
            f"---\ntitle: Post {index}\ntags: [Kites, Wind]\nlink: https://bench.example/{index}\n---\n"
            + "\n\n".join(paragraphs)
            + "\n",
            encoding="utf-8",
        )
    (root / "hugo.toml").write_text('baseURL = "https://bench.example/"\ntitle = "bench"\n', encoding="utf-8")
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text("<h1>{{ .Title }}</h1>{{ .Content }}", encoding="utf-8")
    (layouts / "list.html").write_text("{{ range .Pages }}{{ .Title }}{{ end }}", encoding="utf-8")


def run(command: list) -> tuple[float, float]:
    """Wall time and CPU time (user + sys of the child and what it waited for) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def timed(prepare: Callable[[], None], command: list, repeat: int) -> tuple[float, float]:
    """Median wall and CPU time of `repeat` runs of `command`, each after `prepare` (not timed)."""
    walls, cpus = [], []
    for _ in range(repeat):
        prepare()
        wall, cpu = run(command)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--baseline", type=Path, help="another postwright checkout: its build rows run beside ours"
    )
    options = parser.parse_args()
    checkouts = {"postwright": REPO} | ({"baseline": options.baseline.resolve()} if options.baseline else {})
    # under the repository, not /tmp: on this sandbox /tmp writes are ~15x slower than the work disk,
    # which would measure the sandbox rather than the build
    with (
        tempfile.TemporaryDirectory(dir=Path(__file__).parent, prefix=".corpus-") as folder,
        _trash(Path(f"{folder}-trash")),
    ):
        root = Path(folder)
        make_corpus(root, options.posts)
        project = Project(root)
        first = pipeline.build(project, root / "publish")
        manifest = first.manifest
        assert manifest is not None, first.diagnostics[:3]
        variants = len(manifest["variants"])
        files = sum(1 for path in (root / "publish").rglob("*") if path.is_file())
        problems = len(first.diagnostics)
        print(f"{options.posts} posts → {variants} variants, {files} files, {problems} diagnostics")
        print(f"{'':40} {'wall':>8} {'CPU':>8}   (medians of {options.repeat}; CPU = user + sys)")
        cache_dir = root / cache.ROOT

        def forget(*remembered: Path) -> Callable[[], None]:
            return lambda: [(root / path).unlink(missing_ok=True) for path in remembered]

        set_aside = count()

        def publish_set_aside() -> None:
            """publish/ moved out of the way, deleted after the runs: a fresh checkout has no files
            deleted a moment ago, and on ext4 without a journal (this sandbox's disk) each new inode
            skips the ones freed in the last 60-300 s with a scan of the inode table (the kernel's
            recently_deleted(): 4 s of system time for 5,000 files, 40% of perf's samples)."""
            if (root / "publish").exists():
                (root / "publish").rename(Path(f"{folder}-trash") / str(next(set_aside)))

        def without_publish(keep_cache: bool) -> Callable[[], None]:
            def prepare() -> None:
                publish_set_aside()
                if not keep_cache:
                    shutil.rmtree(cache_dir, ignore_errors=True)

            return prepare

        def checked_out_again() -> None:  # what git leaves: the same bytes in new files (new stat)
            publish_set_aside()
            for path in [
                root / "config.yml",
                *(root / "content").rglob("*.md"),
                *(root / "templates").glob("*"),
            ]:
                data = path.read_bytes()
                path.unlink()
                path.write_bytes(data)

        rows = {
            # stamp and memos removed: every post is read and rendered again, into the existing publish/
            "existing": (
                "build, existing publish/",
                forget(cache.STAMP, cache.POSTS_MEMO, cache.RENDER_MEMO, cache.DOCUMENTS_MEMO),
            ),
            # a fresh CI checkout without a restored cache: nothing to reuse, nothing in publish/
            "empty": ("build, empty publish/, no cache", without_publish(keep_cache=False)),
            # the stamp alone removed: the memos answer, publish/ holds the same files
            "existing_cached": ("build, existing publish/, memos kept", forget(cache.STAMP)),
            # a fresh CI checkout with .postwright-cache/ restored
            "empty_cached": ("build, empty publish/, cache kept", without_publish(keep_cache=True)),
            # the same with every input file written anew, as a checkout makes them
            "checkout_cached": ("build, fresh checkout, cache kept", checked_out_again),
        }
        measured: dict[tuple[str, str], tuple[float, float]] = {}
        for row, (label, prepare) in rows.items():
            for name, checkout in checkouts.items():
                command = [sys.executable, checkout / "build.py", "-C", root, "build"]
                run(command)  # this checkout's caches, for the rows that keep them
                measured[row, name] = timed(prepare, command, options.repeat)
                print(
                    f"{name + ' ' + label:40} {measured[row, name][0]:7.2f}s {measured[row, name][1]:7.2f}s"
                )
        command = [sys.executable, REPO / "build.py", "-C", root, "build"]
        run(command)
        edits = iter(range(options.repeat))
        post = sorted((root / "content" / "posts").glob("*.md"))[options.posts // 2]

        def edit_one() -> None:  # one post's text changed: only that post is rendered again
            text = post.read_text(encoding="utf-8")
            post.write_text(text.replace("\n---\n", f"\n---\nEdit {next(edits)}. ", 1), encoding="utf-8")

        edited = timed(edit_one, command, options.repeat)
        print(f"{'postwright one edit':40} {edited[0]:7.2f}s {edited[1]:7.2f}s  (one post changed)")
        again = timed(lambda: None, command, options.repeat)
        print(f"{'postwright rebuild':40} {again[0]:7.2f}s {again[1]:7.2f}s  (no-op; target < 0.5 s)")
        compare_preview(root, options.repeat)
        for name in checkouts:
            for empty, existing in (
                ("empty", "existing"),
                ("empty_cached", "existing_cached"),
                ("checkout_cached", "existing_cached"),
            ):
                ratio = measured[empty, name][1] / measured[existing, name][1]
                print(f"{name}: CPU {rows[empty][0]} / {rows[existing][0]}: {ratio:.2f}×  (target ≤ 1.2)")
        hugo = shutil.which("hugo")
        if hugo is None:
            print("hugo                    skipped: not installed (apt-get install hugo)")
            return
        command = [hugo, "--quiet", "--source", str(root), "--destination", str(root / "hugo-public")]
        theirs = timed(lambda: None, command, options.repeat)
        print(f"{'hugo':40} {theirs[0]:7.2f}s {theirs[1]:7.2f}s")
        for (row, name), (_wall, cpu) in measured.items():
            print(f"{name}: CPU {rows[row][0]} / hugo: {cpu / theirs[1]:.2f}×  (target ≤ 3)")


@contextlib.contextmanager
def _trash(folder: Path) -> Iterator[None]:
    """A folder for what the runs set aside, deleted once they are done."""
    folder.mkdir()
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def child(command: list) -> tuple[float, float, float]:
    """Wall time, CPU time (user + sys, its worker processes included) and peak memory (MB, the largest
    of the command's process and the workers it waited for) of one command."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: content errors, the site is still made
        raise SystemExit(f"{command} failed")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def open_time(index: Path) -> str:
    """Seconds Chromium takes to open index.html from disk until the list and a post are shown."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright is not installed"
    if not Path("/usr/bin/chromium").exists():
        return "skipped: /usr/bin/chromium is missing (.ci/setup.d/20-chromium.sh)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        began = time.perf_counter()
        page.goto(index.as_uri(), timeout=120_000)
        page.wait_for_selector(".post-list li[data-post]", timeout=120_000)
        page.wait_for_selector("article.post:not([hidden])", timeout=120_000)
        elapsed = time.perf_counter() - began
        nodes = page.evaluate("document.getElementsByTagName('*').length")
        browser.close()
    return f"{elapsed:7.2f} s  ({nodes} elements in the page)"


def compare_preview(root: Path, repeat: int) -> None:
    """`preview` against `build`, both full (memos removed), alternating so that both see the same load:
    medians of wall and CPU time, the largest peak memory."""
    memos = (cache.STAMP, cache.POSTS_MEMO, cache.RENDER_MEMO, cache.DOCUMENTS_MEMO)
    runs: dict[str, list[tuple[float, float, float]]] = {"build": [], "preview": []}
    for _ in range(repeat):
        for command in runs:
            for remembered in memos:
                (root / remembered).unlink(missing_ok=True)
            arguments = [sys.executable, str(REPO / "build.py"), "-C", str(root), command]
            runs[command].append(
                child([*arguments, *(["--at", "2027-03-01T09:05"] if command == "preview" else [])])
            )
    (build_wall, build_cpu, build_memory), (preview_wall, preview_cpu, preview_memory) = (
        (
            statistics.median(wall for wall, _, _ in runs[name]),
            statistics.median(cpu for _, cpu, _ in runs[name]),
            max(memory for _, _, memory in runs[name]),
        )
        for name in runs
    )
    print(f"{'':23} {'wall':>9} {'CPU':>9}")
    print(f"postwright build        {build_wall:7.2f} s {build_cpu:7.2f} s  {build_memory:6.0f} MB peak")
    print(
        f"postwright preview      {preview_wall:7.2f} s {preview_cpu:7.2f} s  {preview_memory:6.0f} MB peak"
        " (< 400 MB)"
    )
    print(
        f"ratio preview/build     {preview_wall / build_wall:7.2f}× {preview_cpu / build_cpu:7.2f}×  "
        "(target ≤ 1.5)"
    )
    index = root / "publish" / "index.html"
    print(f"preview index.html      {index.stat().st_size:7d} bytes  (target < 2 MB)")
    opened = sorted(open_time(index) for _ in range(repeat))
    print(f"preview opens in        {opened[len(opened) // 2]}  (median of {repeat}; target < 1 s)")


if __name__ == "__main__":
    main()
