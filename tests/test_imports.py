"""What importing postwright costs: the stages load no HTTP or S3 client, no publisher and no CLI.

Publishers are reached only through a platform's declaration (Platform.publisher and .verify, each a
base.Lazy), by the code that really sends or asks a platform: publish and retract (publish.py), doctor,
settle. So no module imports the sending side by name, and declaring every platform stays cheap.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from postwright.platforms import PLATFORMS
from postwright.platforms.base import Lazy

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "postwright"
# the libraries a publisher sends with, and the platforms' own sending code beside publisher.py
SENDING = ("httpx", "oauthlib", "postwright.platforms.http_client", "postwright.platforms.graph")
SENDING += ("postwright.insights.analytics",)  # Plausible's and GA4's readers (metrics conversions)
SENDING += ("boto3", "botocore", "postwright.hosting.s3")  # media.host's S3 client: the publish step's only
SENDING += ("postwright.platforms.graph_replies",)  # the Graph comment edges Meta's replies readers share
READING = ("publisher", "metrics", "replies")  # a platform's modules that talk to it
GITHUB_CLIENT = "postwright.engagement.github"  # talks to GitHub only, for `replies pull --github`
STAGES = ("postwright.platforms", "postwright.config", "postwright.load", "postwright.render")
STAGES += ("postwright.pipeline", "postwright.publish", "postwright.doctor", "postwright.settle")
STAGES += ("postwright.hosting", "postwright.hosting.cleanup")


def _sending(name: str) -> bool:
    # a platform's publisher.py, metrics.py (its insights reader) and replies.py (engagement's reader):
    # each asks the platform over HTTP
    publisher = name.startswith("postwright.platforms.") and name.split(".")[-1] in READING
    return publisher or any(name == root or name.startswith(f"{root}.") for root in SENDING)


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> set[str]:
    """Every module `path` imports when run (also inside functions; not for type checkers only), with
    `from a import b` as a.b too."""
    names: set[str] = set()
    for node in _run(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _run(tree: ast.AST):
    """The nodes of `tree` outside `if TYPE_CHECKING:` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            yield from (inner for orelse in node.orelse for inner in [orelse, *_run(orelse)])
            continue
        yield node
        yield from _run(node)


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_the_sending_side_imports_a_publisher_or_an_http_client(path):
    if _sending(_module_name(path)) or _module_name(path) == GITHUB_CLIENT:
        return  # a publisher.py, the shared HTTP client and the Graph client: what sends
    assert not {name for name in _imported(path) if _sending(name)}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_imports_the_cli(path):
    if _module_name(path) in ("postwright.cli", "postwright.__main__"):
        return
    assert not {name for name in _imported(path) if name == "postwright.cli" or name == "postwright.cli.cli"}


def test_importing_the_stages_loads_no_http_client_and_no_publisher():
    script = f"import sys\nimport {', '.join(STAGES)}\nprint(*sorted(sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert set(STAGES) <= loaded
    assert not {name for name in loaded if _sending(name)}


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_a_platform_names_a_publisher_and_a_verify_that_exist(name):
    platform = PLATFORMS[name]
    for lazy in (platform.publisher, platform.verify):
        assert isinstance(lazy, Lazy)
        assert lazy.module == f"postwright.platforms.{name}.publisher"  # beside its declaration
        assert callable(getattr(importlib.import_module(lazy.module), lazy.name))


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_a_platform_names_a_replies_reader_that_exists_or_says_why_not(name):
    platform = PLATFORMS[name]
    if platform.replies is None:
        assert platform.replies_note
        return
    assert (
        isinstance(platform.replies, Lazy)
        and platform.replies.module == f"postwright.platforms.{name}.replies"
    )
    assert callable(getattr(importlib.import_module(platform.replies.module), platform.replies.name))
