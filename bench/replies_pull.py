"""`replies pull` that finds nothing new across 10 accounts (issue 20: under 1 s of our own time plus the
platforms' answers).

A local Mastodon-shaped server in a process of its own answers at once: verify_credentials, each post's
context (two replies each, one answered) and the mention notifications. A brand with 10 Mastodon
accounts has 5 fresh posts each in its ledger (so every post is read on every run: 70 requests a pull).
One pull first hears everything; then each timed pull finds nothing new. Printed: the median wall time
and the median CPU time of this process (our own time: the server's CPU is in its own process), with
requests per pull. Nothing is asserted: the machine is small and shared.

    python bench/replies_pull.py [--accounts 10] [--posts 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from postwright.config import load_config  # noqa: E402
from postwright.engagement.pull import pull  # noqa: E402
from postwright.ledger import Ledger, Record, RecordStatus  # noqa: E402
from postwright.project import Project  # noqa: E402

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _status(status_id: str, account: str, parent: str) -> dict[str, object]:
    return {
        "id": status_id,
        "account": {"id": account, "acct": "ana@example.social" if account != "1" else "brand"},
        "created_at": "2026-12-07T10:00:00.000Z",
        "in_reply_to_id": parent,
        "url": f"https://example.social/@x/{status_id}",
        "content": "<p>a reply</p>",
    }


class Answers(BaseHTTPRequestHandler):
    """Mastodon's answers, at once."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/verify_credentials"):
            body: object = {"id": "1", "acct": "brand"}
        elif path.endswith("/context"):
            post = path.split("/")[-2]
            replies = [
                _status(f"{post}1", "7", post),
                _status(f"{post}2", "8", post),
                _status(f"{post}3", "1", f"{post}1"),
            ]
            body = {"ancestors": [], "descendants": replies}
        else:
            body = [{"id": "n1", "type": "mention", "status": _status("99", "7", "0")}]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def serve(port: multiprocessing.Queue[int]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    port.put(server.server_address[1])
    server.serve_forever()


def brand(root: Path, url: str, accounts: int, posts: int) -> Project:
    lines = ["brand:\n  name: Bench\n  timezone: UTC\n  platforms: [mastodon]\naccounts:\n"]
    for n in range(accounts):
        lines.append(
            f"  m{n}:\n    platform: mastodon\n    deliver: api\n"
            f'    credentials: {{access_token: BENCH_TOKEN}}\n    settings: {{instance: "{url}"}}\n'
        )
    (root / "config.yml").write_text("".join(lines), encoding="utf-8")
    ledger = Ledger(root / "state")
    for n in range(accounts):
        for p in range(posts):
            key, when = f"post{p}.en/m{n}", (AT - timedelta(hours=p + 1)).isoformat()
            common = dict(key=key, part=1, parts=1, idempotency_key=key, post_id=f"post{p}", account=f"m{n}")
            common |= dict(platform="mastodon", content_hash="h", time=when, via="api")
            ledger.append(Record(**common, status=RecordStatus.STARTED))
            ledger.append(Record(**common, status=RecordStatus.PUBLISHED, remote_id=f"{n}{p:03d}", url="u"))
    return Project(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}"
    os.environ["BENCH_TOKEN"] = "bench-token"
    try:
        with tempfile.TemporaryDirectory() as folder:
            project = brand(Path(folder), url, options.accounts, options.posts)
            config, _ = load_config(project)
            assert config is not None
            first = pull(config, project.state_dir, AT)
            walls, cpus, new = [], [], []
            for n in range(options.repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                again = pull(config, project.state_dir, AT + timedelta(minutes=10 * (n + 1)))
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                new.append(again.new)
    finally:
        server.terminate()
    requests = options.accounts * (options.posts + 2)
    print(f"first pull: {first.new} conversations heard, {first.unanswered} unanswered")
    print(f"then nothing new ({sum(new)} new over {options.repeat} pulls), {requests} requests a pull:")
    print(f"  wall  median {statistics.median(walls):.3f} s  (ours plus the server's answers)")
    print(f"  CPU   median {statistics.median(cpus):.3f} s  (this process only: our own time)")


if __name__ == "__main__":
    main()
