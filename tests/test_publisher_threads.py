"""The Threads publisher against a local Threads API (MetaFake from the Instagram tests) that checks
each request as Meta documents it: TEXT/IMAGE/CAROUSEL containers, reply_to_id chains, alt_text,
link_attachment, status polling, threads_publish, quotas, replies, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postwright.credentials import Secrets
from postwright.ledger import Ledger
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import (
    CannotTell,
    Connection,
    PermanentError,
    Receipt,
    TransientError,
    Upload,
)
from postwright.publish import Job, Runner
from tests.contract import CANARY, Sleeps
from tests.fakes.meta import Live, MetaContract, MetaFake, fake_for, ok, public_images


class TestThreadsContract(MetaContract):
    platform = "threads"


class TestThreads:
    platform = "threads"
    contract = TestThreadsContract()

    @pytest.fixture
    def server(self, httpserver):
        fake = fake_for(httpserver, self.platform)
        yield fake
        assert fake.violations == []

    @pytest.fixture
    def uploads(self, tmp_path: Path, server: MetaFake) -> list[Upload]:
        return public_images(tmp_path, server)

    def publisher(self, server: MetaFake, uploads: list[Upload], sleeps: Sleeps | None = None, **settings):
        connection = Connection(
            account="brand",
            platform=self.platform,
            settings={**self.contract.settings(server), **settings},
            secrets=Secrets("brand", {"access_token": "PW_TH_TOKEN"}, environ={"PW_TH_TOKEN": server.token}),
            uploads=lambda variant: uploads[: len(variant.media)],
            sleep=sleeps or Sleeps(),
            clock=lambda: server.now + timedelta(minutes=1),
        )
        return PLATFORMS[self.platform].publisher(connection)

    def variant(self, parts: tuple[str, ...], images: int = 0):
        return self.contract.variant(parts, images)

    def creates(self, server: MetaFake) -> list[dict[str, str]]:
        return [
            params for method, path, params in server.calls if method == "POST" and path.endswith("/threads")
        ]

    def test_a_text_post_carries_the_link_as_its_link_attachment(self, server, uploads):
        variant = self.variant(("Launch day: the Gale 9 is here.",))
        receipt = self.publisher(server, uploads).send(variant, 1, None, "key-1")
        assert self.creates(server) == [
            {"media_type": "TEXT", "text": variant.parts[0], "link_attachment": variant.link}
        ]
        (post,) = server.live
        assert receipt == Receipt(post.id, f"https://www.threads.net/@windwardkites/post/C{post.id[-6:]}")
        publish = [params for method, path, params in server.calls if path.endswith("/threads_publish")]
        assert publish == [{"creation_id": server.created()[0].id}]

    def test_thread_parts_reply_with_reply_to_id_and_only_the_first_has_the_link(
        self, server, uploads, tmp_path
    ):
        parts = ("Part one https://example.com", "Part two", "Part three")
        publisher = self.publisher(server, uploads)
        (outcome,) = Runner(Ledger(tmp_path / "state"), lambda account: publisher).run(
            [Job(self.variant(parts))]
        )
        assert outcome.status == "published" and outcome.parts_sent == 3
        first, second, third = self.creates(server)
        assert "reply_to_id" not in first and "link_attachment" in first
        assert second == {"media_type": "TEXT", "text": "Part two", "reply_to_id": server.live[0].id}
        assert third == {"media_type": "TEXT", "text": "Part three", "reply_to_id": server.live[1].id}
        limits = [
            params for method, path, params in server.calls if path.endswith("threads_publishing_limit")
        ]
        assert limits == [
            {"fields": "quota_usage,config"},
            {"fields": "reply_quota_usage,reply_config"},
            {"fields": "reply_quota_usage,reply_config"},
        ]

    def test_one_image_is_an_image_container_with_alt_text(self, server, uploads):
        variant = self.variant(("With a picture",), images=1)
        self.publisher(server, uploads).send(variant, 1, None, "key-1")
        assert self.creates(server) == [
            {
                "media_type": "IMAGE",
                "image_url": uploads[0].public_url,
                "alt_text": uploads[0].alt,
                "text": "With a picture",
            }
        ]

    def test_images_are_a_carousel_of_image_items(self, server, uploads):
        variant = self.variant(("Two pictures",), images=2)
        self.publisher(server, uploads).send(variant, 1, None, "key-1")
        first, second, parent = self.creates(server)
        for params, upload in ((first, uploads[0]), (second, uploads[1])):
            assert params == {
                "media_type": "IMAGE",
                "image_url": upload.public_url,
                "alt_text": upload.alt,
                "is_carousel_item": "true",
            }
        children = ",".join(container.id for container in server.created()[:2])
        assert parent == {"media_type": "CAROUSEL", "children": children, "text": "Two pictures"}
        assert server.posts()[0].alts == (uploads[0].alt, uploads[1].alt)

    def test_images_go_with_the_first_part_only(self, server, uploads, tmp_path):
        variant = self.variant(("One", "Two"), images=1)
        publisher = self.publisher(server, uploads)
        Runner(Ledger(tmp_path / "state"), lambda account: publisher).run([Job(variant)])
        first, second = self.creates(server)
        assert first["media_type"] == "IMAGE" and second["media_type"] == "TEXT"
        assert "link_attachment" not in second

    def test_status_is_read_with_status_and_error_message(self, server, uploads):
        server.next_statuses = ["IN_PROGRESS"]
        sleeps = Sleeps()
        self.publisher(server, uploads, sleeps).send(self.variant(("Hello",)), 1, None, "key-1")
        container = server.created()[0]
        reads = [params for method, path, params in server.calls if path == container.id]
        assert reads == [{"fields": "status,error_message"}] * 2 and sleeps.calls == [1]

    def test_a_container_in_error_names_the_reason(self, server, uploads):
        server.next_final = "ERROR"
        with pytest.raises(PermanentError, match="INVALID_ASPEC_RATIO"):
            self.publisher(server, uploads).send(self.variant(("Hello",), images=1), 1, None, "key-1")
        assert server.live == []

    def test_an_image_missing_from_the_site_is_transient(self, server, uploads, tmp_path):
        server.files.clear()  # the Pages deploy has not happened yet
        variant = self.variant(("Hello",), images=1)
        publisher = self.publisher(server, uploads)
        (outcome,) = Runner(Ledger(tmp_path / "state"), lambda account: publisher).run([Job(variant)])
        assert outcome.status == "failed" and "answers 404: it is not there yet" in outcome.message
        assert "will retry next run" in outcome.message and server.containers == {}

    def test_the_reply_quota_is_checked_for_replies(self, server, uploads):
        publisher = self.publisher(server, uploads)
        first = publisher.send(self.variant(("One", "Two")), 1, None, "key-1")
        server.reply_quota_usage = 1000  # replies have their own quota: 1,000 a day
        with pytest.raises(TransientError, match="1000 of 1000 replies"):
            publisher.send(self.variant(("One", "Two")), 2, first, "key-2")
        assert len(server.containers) == 1

    def test_find_sent_looks_for_replies_among_replies(self, server, uploads, tmp_path):
        variant = self.variant(("One", "Two"))
        publisher = self.publisher(server, uploads)
        Runner(Ledger(tmp_path / "state"), lambda account: publisher).run([Job(variant)])
        found = publisher.find_sent(variant, 2, "key-2")
        assert found is not None and found.remote_id == server.live[1].id
        listed = [path.split("/")[-1] for method, path, _ in server.calls if method == "GET" and "/" in path]
        assert "replies" in listed

    def test_find_sent_takes_a_reply_only_under_the_part_before(self, server, uploads, tmp_path):
        """The same reply text under another thread of the account (newer) and under a post that is not
        ours: neither is part 2 of this thread; the reply under this thread's part 1 is."""
        ours = self.variant(("Launch day", "Thanks for reading"))
        other = self.variant(("Another day", "Thanks for reading"))
        ledger = Ledger(tmp_path / "state")
        publisher = self.publisher(server, uploads)
        Runner(ledger, lambda account: publisher).run([Job(ours)])
        ours_reply = server.live[1]
        publisher.send(other, 2, publisher.send(other, 1, None, "o-1"), "o-2")  # newer, same words
        self.reply_elsewhere(server, "Thanks for reading")
        found = self.publisher(server, uploads).find_sent(ours, 2, "key-2")
        assert found is not None and found.remote_id == ours_reply.id
        replies = [params for method, path, params in server.calls if path.endswith("/replies")]
        assert "replied_to" in replies[-1]["fields"].split(",")

    def test_find_sent_finds_no_reply_that_is_not_under_the_part_before(self, server, uploads):
        """Part 1 is out, part 2 is not: a reply with part 2's words under someone else's post is not
        it, so the part is sent (None), not taken as sent."""
        variant = self.variant(("Launch day", "Thanks for reading"))
        publisher = self.publisher(server, uploads)
        publisher.send(variant, 1, None, "key-1")
        self.reply_elsewhere(server, "Thanks for reading")
        assert self.publisher(server, uploads).find_sent(variant, 2, "key-2") is None

    def test_find_sent_cannot_tell_when_the_thread_cannot_be_traced(self, server, uploads):
        """A reply with the part's words exists, but part 1 is not among the latest posts: whether the
        reply is this thread's is unknown, so the runner is told so rather than given a guess."""
        variant = self.variant(("Launch day", "Thanks for reading"))
        self.reply_elsewhere(server, "Thanks for reading")
        with pytest.raises(CannotTell, match="part 2"):
            self.publisher(server, uploads).find_sent(variant, 2, "key-2")

    def test_a_crash_settled_days_later_traces_the_thread_and_sends_no_duplicate(
        self, server, uploads, tmp_path
    ):
        """Part 2's publish answer is lost; the next run comes five days later (a paused config, an
        outage) after other posts and replies went out: part 2 is found under part 1, not sent again."""
        variant = self.variant(("Launch day", "Thanks for reading"))
        ledger = Ledger(tmp_path / "state")
        publisher = self.publisher(server, uploads)
        send = publisher.send

        def lose_part_two(variant, part, reply_to, key):
            if part == 2:  # threads_publish takes the container, the answer has no id
                server.publish_answer = ok({"success": True})
            return send(variant, part, reply_to, key)

        publisher.send = lose_part_two
        (outcome,) = Runner(ledger, lambda account: publisher).run([Job(variant)])
        assert outcome.status == "unconfirmed", outcome.message
        first, second = server.live
        server.now += timedelta(days=5)
        self.other_threads(server, uploads, 3)
        later = self.publisher(server, uploads)
        (outcome,) = Runner(ledger, lambda account: later).run([Job(variant)])
        assert outcome.status in ("published", "already"), outcome.message
        assert [post.text for post in server.live].count("Thanks for reading") == 1
        assert ledger.read()[variant.key].last(2).remote_id == second.id
        assert ledger.read()[variant.key].last(1).remote_id == first.id

    def test_find_sent_follows_the_cursor_across_pages_of_posts_and_replies(self, server, uploads, tmp_path):
        """Both lists are cursor-paged (threads/reference/user): with pages shorter than asked, part 1
        and its reply are found on the second page, asked with `after`."""
        variant = self.variant(("Launch day", "Thanks for reading"))
        publisher = self.publisher(server, uploads)
        Runner(Ledger(tmp_path / "state"), lambda account: publisher).run([Job(variant)])
        ours = server.live[1]
        self.other_threads(server, uploads, 3)
        server.page_cap = 2
        found = self.publisher(server, uploads).find_sent(variant, 2, "key-2")
        assert found is not None and found.remote_id == ours.id
        for edge in ("threads", "replies"):
            listed = [
                params for method, path, params in server.calls if method == "GET" and path.endswith(edge)
            ]
            assert [params["limit"] for params in listed[-2:]] == ["50", "48"]
            assert "after" not in listed[-2] and listed[-1]["after"]

    def test_find_sent_reads_no_further_than_lookup_depth(self, server, uploads, tmp_path):
        """More newer replies than `lookup_depth` (the documented residual risk): the reply is not
        among them, so it is sent again; and a page never asks for more than 100 (threads/reference/user)."""
        variant = self.variant(("Launch day", "Thanks for reading"))
        publisher = self.publisher(server, uploads)
        Runner(Ledger(tmp_path / "state"), lambda account: publisher).run([Job(variant)])
        self.other_threads(server, uploads, 3)
        assert self.publisher(server, uploads, lookup_depth=3).find_sent(variant, 2, "key-2") is None
        assert self.publisher(server, uploads, lookup_depth=4).find_sent(variant, 2, "key-2") is not None
        assert self.publisher(server, uploads, lookup_depth=150).find_sent(variant, 2, "key-2") is not None
        listed = [params["limit"] for method, path, params in server.calls if path.endswith("/replies")]
        assert listed == ["3", "4", "100"]

    def other_threads(self, server: MetaFake, uploads: list[Upload], count: int) -> None:
        """`count` newer two-part threads of the account."""
        publisher = self.publisher(server, uploads)
        for n in range(count):
            other = self.variant((f"Another day {n}", f"More words {n}"))
            publisher.send(other, 2, publisher.send(other, 1, None, f"o{n}-1"), f"o{n}-2")

    @staticmethod
    def reply_elsewhere(server: MetaFake, text: str) -> None:
        """A reply the account wrote by hand under a post of another account."""
        server.live.append(
            Live("17999999999999999", text, "18000000000000001", (), (), server.now + timedelta(seconds=30))
        )

    def test_delete_without_a_post_id_deletes_nothing(self, server, uploads):
        with pytest.raises(PermanentError, match="no post id"):
            self.publisher(server, uploads).delete("")
        assert not any(method == "DELETE" for method, _, _ in server.calls)

    def test_find_sent_without_the_text_cannot_tell(self, server, uploads):
        with pytest.raises(CannotTell, match="by hand"):
            self.publisher(server, uploads).find_sent(None, 1, "key-1")

    def test_delete_of_a_post_already_gone_is_done(self, server, uploads):
        publisher = self.publisher(server, uploads)
        receipt = publisher.send(self.variant(("Hello",)), 1, None, "key-1")
        publisher.delete(receipt.remote_id)
        publisher.delete(receipt.remote_id)  # Meta: code 100, subcode 33: nothing left to delete
        assert server.live == []
        deletes = [(path, params) for method, path, params in server.calls if method == "DELETE"]
        assert deletes == [(receipt.remote_id, {}), (receipt.remote_id, {})]

    def test_user_id_defaults_to_me(self, server, uploads):
        publisher = self.publisher(server, uploads, user_id="")
        publisher.send(self.variant(("Hello",)), 1, None, "key-1")
        assert {path.split("/")[0] for method, path, _ in server.calls if "/" in path} == {"me"}

    def test_verify_reports_the_user_and_expiry(self, server, uploads):
        soon = datetime(2027, 1, 20, tzinfo=UTC)
        server.expires_at = int(soon.timestamp())
        check = PLATFORMS[self.platform].verify(self.publisher(server, uploads).connection)
        assert check.ok and "@windwardkites" in check.detail and check.expires_at == soon
        assert CANARY not in check.detail

    def test_verify_of_a_token_that_never_expires(self, server, uploads):
        check = PLATFORMS[self.platform].verify(self.publisher(server, uploads).connection)
        assert check.ok and check.expires_at is None and "does not expire" in check.detail
