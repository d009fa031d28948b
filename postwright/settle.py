"""`postwright settle`: a person says whether a maybe-sent part went out, recorded in the ledger.

A part left `started` that no run could settle (a platform that cannot be asked, after a crash) is
reported unconfirmed and never sent again by itself. A person checks the account and settles it here:
`--sent URL` appends a `published` record (so a thread continues with the next part, replying to this
one), `--not-sent` a permanent `failed` one (so `publish --only POST-ID` sends it). Each record is a copy
of the part's last record, marked {"settled": "by hand"} in `extra`, appended under the run lock.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from postwright.ledger import JobState, Ledger, Record, RecordStatus, Via
from postwright.platforms import PLATFORMS

NOT_SENT = "settled by hand: not sent"


class SettleError(Exception):
    """The request cannot be carried out as asked (unknown key, nothing to settle, a bad URL)."""


@dataclass(frozen=True, slots=True)
class Settled:
    record: Record
    remote_id_known: bool  # False: settled as sent without a remote id, so retract cannot delete it


def settle(
    ledger: Ledger,
    key: str,
    *,
    sent_url: str | None = None,
    remote_id: str | None = None,
    part: int | None = None,
    note: str | None = None,
    root: Path | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Settled]:
    """Append a settling record for each part of job `key` that may have gone out (or only `part`).

    `sent_url` None means not sent. `root` is the project, where an outbox link (a relative path) must be.
    """
    with ledger.locked():
        states = ledger.read()
        state = states.get(key)
        if state is None:
            raise SettleError(_unknown(key, states))
        if state.retracted:
            raise SettleError(f"{key} was retracted: there is nothing to settle")
        parts = _unsettled(state, part)
        if sent_url is not None:
            _check_url(sent_url, root)
            if len(parts) > 1:  # one link cannot be every part's
                numbers = ", ".join(str(record.part) for record in parts)
                raise SettleError(f"{key}: parts {numbers} may have gone out; settle each with --part N")
        time = clock().astimezone(UTC).isoformat(timespec="seconds")
        extra = {"settled": "by hand", **({"note": note} if note else {})}
        settled = []
        for record in parts:
            found = None
            if sent_url is not None:
                found = remote_id or remote_id_from_url(record.platform, sent_url)
                if found is None and record.part < record.parts:
                    raise SettleError(
                        f"part {record.part} of {record.parts}: the next part replies to it, and its "
                        f"{record.platform} id cannot be read from the link; add --remote-id ID"
                    )
            not_sent = sent_url is None
            new = replace(
                record,
                status=RecordStatus.FAILED if not_sent else RecordStatus.PUBLISHED,
                time=time,
                error=NOT_SENT if not_sent else None,
                permanent=not_sent,
                refused=not_sent,
                remote_id=found,
                url=sent_url,
                extra=extra,
                via=record.via if not_sent else _via(sent_url),
            )
            settled.append(Settled(new, new.remote_id is not None or sent_url is None))
        for item in settled:  # all checked first: a refused request appends nothing
            ledger.append(item.record)
        return settled


def _unsettled(state: JobState, part: int | None) -> list[Record]:
    """The parts that may have gone out: last record `started`, or a failure that may have posted."""
    lasts = {number: state.last(number) for number in range(1, state.parts + 1)}
    maybe = {
        number: record
        for number, record in lasts.items()
        if record is not None
        and record.status in (RecordStatus.STARTED, RecordStatus.FAILED)
        and not (record.status == RecordStatus.FAILED and (record.permanent or record.refused))
    }
    if part is not None:
        if part not in lasts:
            raise SettleError(f"{state.key} has {state.parts} part(s), not a part {part}")
        if part not in maybe:
            raise SettleError(f"{state.key} part {part}: nothing to settle ({_what(lasts[part])})")
        return [maybe[part]]
    if not maybe:
        shown = "; ".join(f"part {number}: {_what(record)}" for number, record in lasts.items())
        raise SettleError(f"{state.key}: nothing to settle ({shown})")
    return list(maybe.values())


def _what(record: Record | None) -> str:
    if record is None:
        return "not started"
    if record.status == RecordStatus.FAILED:
        return "failed: " + (record.error or "not sent")
    return record.status + (f" {record.url}" if record.url else "")


def _unknown(key: str, states: dict[str, JobState]) -> str:
    known = sorted(states)
    close = [name for name in known if name.startswith(key)]
    close = close or difflib.get_close_matches(key, known, n=3, cutoff=0.85)
    hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
    return f"no job {key} in the ledger (a key is <post-id>.<lang>/<account>, as `plan` shows){hint}"


def _via(url: str) -> Via:
    """A link to a platform is a real post, even when the part was started in the outbox (a settled post
    must never be sent again); an outbox file is a rehearsal."""
    return "api" if urlsplit(url).scheme else "outbox"


def _check_url(url: str, root: Path | None) -> None:
    """The post's link as the platform shows it (https://…), or an outbox file's path in the project."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and not any(c.isspace() for c in url):
        return
    if not parts.scheme and root is not None and url and (root / url).is_file():
        return
    raise SettleError(
        f"--sent {url!r} is not a link to the post (such as https://mastodon.social/@acme/1234)"
    )


def remote_id_from_url(platform: str, url: str) -> str | None:
    """The platform's id of a post, read from its link where the link holds it plainly."""
    if not urlsplit(url).scheme:  # an outbox file: outbox/<account>/<key>.json
        name = Path(url).name
        return name.removesuffix(".json") if name.endswith(".json") else None
    pattern = PLATFORMS[platform].post_id_in_url if platform in PLATFORMS else None  # others: --remote-id
    match = pattern.search(urlsplit(url).path) if pattern else None
    return match.group(1) if match else None
