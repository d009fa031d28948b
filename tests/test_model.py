from datetime import UTC, datetime

from postwright.diagnostics import Span
from postwright.model import MediaRef, Variant


def test_the_content_hash_keeps_the_bytes_the_ledger_knows():
    """The hash of a variant with every field that reaches it (quotes, escapes, non-ASCII, line separators,
    floats), pinned to what json.dumps(sort_keys=True, ensure_ascii=False) gave before: a ledger written by
    an older version must find its posts unchanged."""
    variant = Variant(
        post_id="p",
        lang="es",
        account="x_main",
        platform="x",
        source="content/p.md",
        parts=('Señal "uno" \\ ✓ 🪁\n1/2', "dos\u2028tres\t</script>"),
        link="https://kites.example/?a=ñ&utm_source=x",
        media=(
            MediaRef("kite.jpg", 'A kite — "red"', (0.5, 0.25), Span("content/p.md", 3)),
            MediaRef("b.png", "", None, Span("content/p.md", 5)),
        ),
        publish_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        draft=False,
        expires=None,
        body_line=7,
        thread="auto",
        privacy_level="SELF_ONLY",
        in_reply_to="https://x.com/a/status/1",
    )
    assert variant.content_hash == "sha256:d52676d31dd1e30500895d3e210b550a2699d1eb8aa125783b5a51f7c1663a9a"
