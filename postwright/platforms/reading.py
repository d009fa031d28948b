"""What the platforms' metrics readers (platforms/<name>/metrics.py) share: a delivery's thread parts read
and summed, and every way a read can fail turned into a `ReadFailure` with a reason a person can act on.

A reader never lets an exception out of `posts()`: a refused, rate-limited or malformed answer becomes a
ReadFailure for the deliveries it concerns (they stay due for the next run), a post the platform says is
gone a ReadFailure with gone=True (no one asks again). After a rate limit or a credentials problem the
rest of the call is not asked for: the same answer would come back, and asking again would only cost
more of the account's quota.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from postwright.credentials import CredentialsError, redact
from postwright.insights.model import Delivery, PostReading, ReadFailure
from postwright.platforms.contract import PermanentError, TransientError, UnexpectedAnswer

if TYPE_CHECKING:
    import httpx

Metrics = dict[str, int]
P = ParamSpec("P")
R = TypeVar("R")


class Gone(Exception):
    """The platform says this post no longer exists (deleted, or never visible to this account)."""


class Malformed(PermanentError):
    """A 2xx answer that is not what the platform's reference shows (not JSON, fields missing): a
    PermanentError, so that `account()` raising it leaves the account due, as the reader contract says."""


def json_of(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, else Malformed."""
    try:
        body = response.json()
    except ValueError:
        raise Malformed(f"malformed answer: {response.status_code} but not JSON") from None
    if not isinstance(body, dict):
        raise Malformed("malformed answer: not a JSON object")
    return body


# errors that mean "not this time, for this delivery only"
ITEM_ERRORS = (PermanentError, UnexpectedAnswer, ValueError, KeyError, TypeError)
# errors that mean "not this time, for anything else in this call either"
STOP_ERRORS = (TransientError, CredentialsError)


def reason(error: Exception) -> str:
    """A failure's reason for people (and state/metrics/), redacted; a bare "malformed answer" where the
    exception is a parsing one that says little by itself."""
    if isinstance(error, ValueError | KeyError | TypeError) and not isinstance(error, Malformed):
        return redact(f"malformed answer ({type(error).__name__}: {error})")
    if isinstance(error, CredentialsError):
        return redact(f"refused: {error} (check the token's scopes: `postwright doctor` names them)")
    return redact(str(error) or type(error).__name__)


def refusals_as_permanent(read_account: Callable[P, R]) -> Callable[P, R]:
    """An account() whose token lacks a scope raises PermanentError with the reason (the reader contract
    names Transient and Permanent errors only), so `metrics pull` records it and asks again next time."""

    @functools.wraps(read_account)
    def read(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return read_account(*args, **kwargs)
        except CredentialsError as error:
            raise PermanentError(reason(error)) from None

    return read


def number(value: Any) -> int:
    """A metric's value as the integer a CSV cell holds; anything else is a malformed answer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"malformed answer: {value!r} is not a count")
    return int(value)


def summed(readings: Iterable[Mapping[str, int]]) -> Metrics:
    """The parts' numbers added up, metric by metric (a metric one part lacks counts as 0 there)."""
    total: Metrics = {}
    for reading in readings:
        for name, value in reading.items():
            total[name] = total.get(name, 0) + value
    return dict(sorted(total.items()))


def read_each(
    deliveries: Sequence[Delivery], read_part: Callable[[Delivery, str], Mapping[str, int]]
) -> Iterator[PostReading | ReadFailure]:
    """One request per thread part (platforms that answer one post at a time: Meta's, Discord), the parts
    summed into their delivery. Part 1 gone: the delivery is gone; a later part gone (a reply deleted by
    hand): the others still count."""
    stopped: ReadFailure | None = None
    for delivery in deliveries:
        if stopped is not None:
            yield ReadFailure(delivery.key, stopped.reason)
            continue
        try:
            yield PostReading(delivery.key, summed(_parts(delivery, read_part)))
        except Gone as error:
            yield ReadFailure(delivery.key, reason(error), gone=True)
        except STOP_ERRORS as error:
            stopped = ReadFailure(delivery.key, reason(error))
            yield stopped
        except ITEM_ERRORS as error:
            yield ReadFailure(delivery.key, reason(error))


def _parts(
    delivery: Delivery, read_part: Callable[[Delivery, str], Mapping[str, int]]
) -> Iterator[Mapping[str, int]]:
    for number_, remote_id in enumerate(delivery.remote_ids, start=1):
        if not remote_id:
            raise Malformed(f"part {number_} has no remote id in the ledger")
        try:
            yield read_part(delivery, remote_id)
        except Gone:
            if number_ == 1:
                raise


def failed_batch(deliveries: Sequence[Delivery], error: Exception) -> list[ReadFailure]:
    """Every delivery of a batched request that failed as a whole, with the same reason."""
    why = reason(error)
    return [ReadFailure(delivery.key, why) for delivery in deliveries]


def chunks_by_parts(deliveries: Sequence[Delivery], most: int) -> Iterator[list[Delivery]]:
    """Deliveries grouped so that each group's remote ids (thread parts included) fit one request of at
    most `most` ids; a delivery is never split over two requests."""
    group: list[Delivery] = []
    size = 0
    for delivery in deliveries:
        parts = len(delivery.remote_ids)
        if group and size + parts > most:
            yield group
            group, size = [], 0
        group.append(delivery)
        size += parts
    if group:
        yield group


def from_batch(
    delivery: Delivery, found: Mapping[str, Mapping[str, int]], gone: set[str], missing: str
) -> PostReading | ReadFailure:
    """One delivery from a batched answer: `found` holds each returned id's numbers, `gone` the ids the
    platform says do not exist. Part 1 gone: gone; a part neither found nor gone: `missing` is why."""
    readings = []
    for number_, remote_id in enumerate(delivery.remote_ids, start=1):
        if remote_id in found:
            readings.append(found[remote_id])
        elif remote_id in gone:
            if number_ == 1:
                return ReadFailure(delivery.key, f"part 1 ({remote_id}) no longer exists", gone=True)
        else:
            return ReadFailure(delivery.key, f"{missing} (part {number_}, {remote_id})")
    return PostReading(delivery.key, summed(readings))
