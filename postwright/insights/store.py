"""state/metrics/: the numbers each delivery had when it was read, as CSV files a person can diff.

Layout (docs/insights.md): `state/metrics/<platform>/<YYYY-MM>.csv` by month of publication (a post's rows
stay in one file), columns `post_id, lang, account, published, observed` (the ledger's job key is
`<post_id>.<lang>/<account>`; not repeated, to keep a year within 3 MB), then the platform's own metric
names in alphabetical order; times are UTC ISO 8601 (`2026-12-01T09:00:00Z`); rows sorted by
publication, key and observation time. An empty cell is a metric the platform did not give that time.
`state/metrics/<platform>/accounts-<YYYY>.csv` holds the daily account series: `account, observed`, the
metric names, then `audience` (aggregate buckets as compact JSON). Reads that failed wait in
`state/metrics/failures.csv` for the next run.

Files are only rewritten whole (temp file, fsync, rename), so a crash leaves the old file or the new one.
A row that does not parse is a StoreError naming file:line: it is never dropped, since the next rewrite
would lose it for good.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from postwright.files import replace_file
from postwright.insights.model import AccountObservation, Observation

POST_COLUMNS = ("post_id", "lang", "account", "published", "observed")
ACCOUNT_COLUMNS = ("account", "observed")
AUDIENCE_COLUMN = "audience"
FAILURE_COLUMNS = ("key", "platform", "observed", "gone", "reason")

SETTLE_AGES = (timedelta(hours=24), timedelta(days=7), timedelta(days=30))
"""Compaction keeps, per delivery, the first reading at or after each of these ages and the last one."""
SETTLED_AFTER = timedelta(days=31)
"""A delivery this old has had its 30-day reading: its early rows are thinned (only 89 d is still to come)."""


class StoreError(Exception):
    """A file under state/metrics/ (or state/conversions/, for a report) cannot be read as written: a
    person must look (file:line)."""


def metrics_folder(root: Path) -> Path:
    """state/metrics/ of the brand repository at `root`."""
    return root / "state" / "metrics"


def format_time(moment: datetime) -> str:
    """UTC, whole seconds, `Z`: the one spelling every file uses, so equal times are equal bytes."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no offset; write it in UTC with Z")
    return moment.astimezone(UTC)


def month_file(root: Path, platform: str, published: datetime) -> Path:
    return metrics_folder(root) / platform / f"{published.astimezone(UTC):%Y-%m}.csv"


def accounts_file(root: Path, platform: str, observed: datetime) -> Path:
    return metrics_folder(root) / platform / f"accounts-{observed.astimezone(UTC):%Y}.csv"


# reading ------------------------------------------------------------------------------------------------


def read_observations(root: Path, since: datetime | None = None) -> Iterator[Observation]:
    """Every stored post reading, platform by platform, file by file in order; with `since`, only those
    of deliveries published at or after it (whole earlier months are not even opened)."""
    first_month = f"{since.astimezone(UTC):%Y-%m}" if since else ""
    for path in _files(root, lambda name: name[:1].isdigit() and name[:7] >= first_month):
        for observation in read_month(path):
            if since is None or observation.published >= since:
                yield observation


def last_observed(root: Path, since: datetime) -> dict[str, datetime]:
    """Each delivery key's latest reading time, for deliveries published at or after `since`: what
    `metrics pull` needs to know what is due, read without building every row (the layout and times
    are checked here, the numbers when the file is next rewritten)."""
    latest: dict[str, datetime] = {}
    first_month = f"{since.astimezone(UTC):%Y-%m}"
    for path in _files(root, lambda name: name[:1].isdigit() and name[:7] >= first_month):
        for line, _header, row in _rows(path, POST_COLUMNS):
            try:
                published, observed = parse_time(row["published"]), parse_time(row["observed"])
            except ValueError as error:
                raise StoreError(f"{path}:{line}: {error}") from None
            key = f"{row['post_id']}.{row['lang']}/{row['account']}"
            if published >= since and (key not in latest or latest[key] < observed):
                latest[key] = observed
    return latest


def read_settled(
    root: Path, settled_age: timedelta, since: datetime | None = None, until: datetime | None = None
) -> list[Observation]:
    """Per delivery published at or after `since`, only the reading it is judged by among those observed
    at or before `until`: its first at or after `settled_age` of age, else its latest (best_time.settled's
    choice, made while reading), in the order read_observations first gives each delivery. What `metrics
    report` reads: a year holds ~25 rows per delivery, and making an Observation of each cost more than
    everything else the report does.

    Every row's layout, ids and times are checked (each distinct time text parsed once); the numbers
    only in the rows chosen (the others are checked when their file is next rewritten)."""
    first_month = f"{since.astimezone(UTC):%Y-%m}" if since else ""
    times: dict[str, datetime] = {}
    chosen: dict[tuple[str, str, str], _Choice] = {}
    for path in _files(root, lambda name: name[:1].isdigit() and name[:7] >= first_month):
        for run in _runs(path, times, settled_age, since, until):
            held = chosen.get(run.key)
            if held is None or _better(run.observed, run.settled, held.observed, held.settled):
                chosen[run.key] = run
    return [choice.observation() for choice in chosen.values()]


def _better(observed: datetime, settled: bool, held_observed: datetime, held_settled: bool) -> bool:
    """best_time._better: a settled reading beats an early one; of settled ones the earliest wins, of early
    ones the latest; on a tie the one held stays."""
    if settled != held_settled:
        return settled
    return observed < held_observed if settled else observed > held_observed


class _Choice(NamedTuple):
    """A delivery's best reading in a run of its rows: where it is, its cells, what choosing compares."""

    key: tuple[str, str, str]  # post_id, lang, account
    path: Path
    header: list[str]
    line: int
    cells: list[str]
    published: datetime
    observed: datetime
    settled: bool  # at least the settled age old

    def observation(self) -> Observation:
        post_id, lang, account = self.key
        row = dict(zip(self.header, self.cells, strict=True))
        return Observation(
            key=f"{post_id}.{lang}/{account}",
            post_id=post_id,
            lang=lang,
            account=account,
            platform=self.path.parent.name,
            published=self.published,
            observed=self.observed,
            metrics=_numbers(self.path, self.line, row, self.header[len(POST_COLUMNS) :]),
        )


def _runs(
    path: Path,
    times: dict[str, datetime],
    settled_age: timedelta,
    since: datetime | None,
    until: datetime | None,
) -> list[_Choice]:
    """Each run of one delivery's rows in a month file (the store writes them together) as its best row.
    In local names: this loop is most of the report's time. A file edited out of order gives more runs,
    never a wrong choice (`read_settled` compares a delivery's runs again)."""
    runs: list[_Choice] = []
    header, rows = _cells(path, POST_COLUMNS)
    key = best = None  # the run's key and its best row so far: (line, cells, published, observed, settled)
    for line, cells in rows:
        post_id, lang, account, published_text, observed_text = cells[:5]
        if not (post_id and lang and account):
            raise StoreError(f"{path}:{line}: post_id, lang and account must not be empty")
        try:
            published = times.get(published_text) or _parsed(times, published_text)
            observed = times.get(observed_text) or _parsed(times, observed_text)
        except ValueError as error:
            raise StoreError(f"{path}:{line}: {error}") from None
        if (since is not None and published < since) or (until is not None and observed > until):
            continue
        settled = observed - published >= settled_age
        if key is None or key[0] != post_id or key[2] != account or key[1] != lang:
            if best is not None:
                runs.append(_Choice(key, path, header, *best))
            key, best = (post_id, lang, account), (line, cells, published, observed, settled)
        elif _better(observed, settled, best[3], best[4]):
            best = (line, cells, published, observed, settled)
    if best is not None:
        runs.append(_Choice(key, path, header, *best))
    return runs


def _parsed(times: dict[str, datetime], text: str) -> datetime:
    times[text] = moment = parse_time(text)
    return moment


def read_accounts(root: Path, since: datetime | None = None) -> Iterator[AccountObservation]:
    """Every stored account reading; with `since`, those observed at or after it."""
    first_year = f"accounts-{since.astimezone(UTC):%Y}" if since else "accounts-"
    for path in _files(root, lambda name: name.startswith("accounts-") and name[:13] >= first_year):
        for reading in read_account_file(path):
            if since is None or reading.observed >= since:
                yield reading


def _files(root: Path, wanted) -> Iterator[Path]:
    folder = metrics_folder(root)
    if not folder.is_dir():
        return
    for platform in sorted(entry for entry in folder.iterdir() if entry.is_dir()):
        yield from sorted(
            path for path in platform.glob("*.csv") if wanted(path.name) and not path.name.startswith(".")
        )


def _rows(path: Path, fixed: Sequence[str]) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    """(line, header, row) for each data row, as `_cells` checks them."""
    header, rows = _cells(path, fixed)
    for line, cells in rows:
        yield line, header, dict(zip(header, cells, strict=True))


def _cells(path: Path, fixed: Sequence[str]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and (line, cells) of each data row. A header that lacks the fixed columns, a row with the
    wrong number of cells, or bytes that are not UTF-8 raise StoreError at their line. A missing or
    empty file has no rows."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise StoreError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except FileNotFoundError:
        text = ""
    if text and not text.endswith("\n"):
        raise StoreError(
            f"{path}:{text.count(chr(10)) + 1}: the last line is incomplete (a write was cut off)"
        )
    if not any(character in text for character in '"\r\0'):  # plain: each line its cells, split at commas
        lines = text.split("\n")
        header = lines[0].split(",") if text else []
        rows = _split_rows(path, lines, len(header))
    else:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader, [])
        except csv.Error as error:
            raise StoreError(f"{path}:{reader.line_num}: not valid CSV ({error})") from None
        rows = _checked_rows(path, reader, len(header))
    if header and (tuple(header[: len(fixed)]) != tuple(fixed) or len(set(header)) != len(header)):
        raise StoreError(f"{path}:1: the header must start with {','.join(fixed)} and name each column once")
    return header, rows


def _split_rows(path: Path, lines: list[str], width: int) -> Iterator[tuple[int, list[str]]]:
    for number in range(1, len(lines) - 1):
        cells = lines[number].split(",") if lines[number] else []
        if len(cells) != width:
            raise StoreError(f"{path}:{number + 1}: {len(cells)} cells where the header has {width}")
        yield number + 1, cells


def _checked_rows(path: Path, reader, width: int) -> Iterator[tuple[int, list[str]]]:
    try:
        for cells in reader:
            if len(cells) != width:
                raise StoreError(f"{path}:{reader.line_num}: {len(cells)} cells where the header has {width}")
            yield reader.line_num, cells
    except csv.Error as error:
        raise StoreError(f"{path}:{reader.line_num}: not valid CSV ({error})") from None


def _numbers(path: Path, line: int, row: Mapping[str, str], names: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in names:
        cell = row[name]
        if cell == "":
            continue
        if not cell.lstrip("-").isdigit():
            raise StoreError(f"{path}:{line}: {name} is {cell!r}, not a whole number")
        found[name] = int(cell)
    return found


def read_month(path: Path) -> list[Observation]:
    """One month file's readings, in file order."""
    platform = path.parent.name
    found: list[Observation] = []
    names: list[str] = []
    for line, header, row in _rows(path, POST_COLUMNS):
        names = names or header[len(POST_COLUMNS) :]
        try:
            published, observed = parse_time(row["published"]), parse_time(row["observed"])
        except ValueError as error:
            raise StoreError(f"{path}:{line}: {error}") from None
        if not (row["post_id"] and row["lang"] and row["account"]):
            raise StoreError(f"{path}:{line}: post_id, lang and account must not be empty")
        found.append(
            Observation(
                key=f"{row['post_id']}.{row['lang']}/{row['account']}",
                post_id=row["post_id"],
                lang=row["lang"],
                account=row["account"],
                platform=platform,
                published=published,
                observed=observed,
                metrics=_numbers(path, line, row, names),
            )
        )
    return found


def read_account_file(path: Path) -> list[AccountObservation]:
    platform = path.parent.name
    found: list[AccountObservation] = []
    for line, header, row in _rows(path, ACCOUNT_COLUMNS):
        names = [name for name in header[len(ACCOUNT_COLUMNS) :] if name != AUDIENCE_COLUMN]
        try:
            observed = parse_time(row["observed"])
            audience = json.loads(row[AUDIENCE_COLUMN]) if row.get(AUDIENCE_COLUMN) else {}
            _check_audience(audience)
        except ValueError as error:
            raise StoreError(f"{path}:{line}: {error}") from None
        found.append(
            AccountObservation(
                account=row["account"],
                platform=platform,
                observed=observed,
                metrics=_numbers(path, line, row, names),
                audience=audience,
            )
        )
    return found


def _check_audience(audience: object) -> None:
    valid = isinstance(audience, dict) and all(
        isinstance(buckets, dict) and all(isinstance(count, int) for count in buckets.values())
        for buckets in audience.values()
    )
    if not valid:
        raise ValueError("audience must be {dimension: {bucket: whole number}}")


# writing ------------------------------------------------------------------------------------------------


def store_observations(root: Path, observations: Iterable[Observation]) -> int:
    """Add readings; returns how many rows changed. A reading with the same numbers as its delivery's
    latest row moves that row's `observed` forward instead of adding a row (the numbers held until then),
    so a settled post costs no new rows; files with nothing new are not rewritten."""
    by_file: dict[Path, list[Observation]] = {}
    for observation in observations:
        path = month_file(root, observation.platform, observation.published)
        by_file.setdefault(path, []).append(observation)
    changed = 0
    for path, new in sorted(by_file.items()):
        rows = read_month(path)
        merged, count = _merge(rows, new)
        if count:
            _write_month(path, merged)
            changed += count
    return changed


def _merge(rows: list[Observation], new: Iterable[Observation]) -> tuple[list[Observation], int]:
    latest: dict[str, int] = {}  # key -> index in rows of its latest reading
    by_moment = {(row.key, row.observed): index for index, row in enumerate(rows)}
    for index, row in enumerate(rows):
        if row.key not in latest or rows[latest[row.key]].observed <= row.observed:
            latest[row.key] = index
    changed = 0
    for observation in sorted(new, key=lambda item: (item.key, item.observed)):
        observation = replace(observation, observed=_whole_second(observation.observed))
        same_moment = by_moment.get((observation.key, observation.observed))
        last = latest.get(observation.key)
        if same_moment is not None:  # read twice at one second (a rerun with --at): the newer answer wins
            if rows[same_moment].metrics != observation.metrics:
                rows[same_moment] = observation
                changed += 1
        elif last is not None and rows[last].observed < observation.observed:
            if dict(rows[last].metrics) == dict(observation.metrics):
                del by_moment[(rows[last].key, rows[last].observed)]
                rows[last] = replace(rows[last], observed=observation.observed)
            else:
                rows.append(observation)
                last = len(rows) - 1
            by_moment[(observation.key, observation.observed)] = last
            latest[observation.key] = last
            changed += 1
        else:  # the first reading of this delivery, or one older than its latest
            rows.append(observation)
            by_moment[(observation.key, observation.observed)] = len(rows) - 1
            if last is None:
                latest[observation.key] = len(rows) - 1
            changed += 1
    return rows, changed


def _whole_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _write_month(path: Path, rows: Sequence[Observation]) -> None:
    names = sorted({name for row in rows for name in row.metrics})
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*POST_COLUMNS, *names])
    for row in sorted(rows, key=lambda item: (item.published, item.key, item.observed)):
        fixed = (row.post_id, row.lang, row.account, format_time(row.published))
        writer.writerow(
            [*fixed, format_time(row.observed), *(_cell(row.metrics.get(name)) for name in names)]
        )
    replace_file(path, out.getvalue().encode("utf-8"))


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def store_accounts(root: Path, readings: Iterable[AccountObservation]) -> int:
    """Add account readings (one per account and UTC day: a second one the same day replaces the first)."""
    by_file: dict[Path, list[AccountObservation]] = {}
    for reading in readings:
        by_file.setdefault(accounts_file(root, reading.platform, reading.observed), []).append(reading)
    changed = 0
    for path, new in sorted(by_file.items()):
        rows = {(row.account, row.observed.date()): row for row in read_account_file(path)}
        before = dict(rows)
        for reading in new:
            reading = replace(reading, observed=_whole_second(reading.observed))
            rows[(reading.account, reading.observed.date())] = reading
        if rows != before:
            changed += sum(1 for key, row in rows.items() if before.get(key) != row)
            _write_accounts(path, rows.values())
    return changed


def _write_accounts(path: Path, rows: Iterable[AccountObservation]) -> None:
    ordered = sorted(rows, key=lambda row: (row.observed, row.account))
    names = sorted({name for row in ordered for name in row.metrics})
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*ACCOUNT_COLUMNS, *names, AUDIENCE_COLUMN])
    for row in ordered:
        audience = json.dumps(row.audience, sort_keys=True, separators=(",", ":")) if row.audience else ""
        cells = (_cell(row.metrics.get(name)) for name in names)
        writer.writerow([row.account, format_time(row.observed), *cells, audience])
    replace_file(path, out.getvalue().encode("utf-8"))


# failures -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredFailure:
    """A read that failed on the last run that asked (the delivery stays due), or a post the platform no
    longer has (`gone`: never asked for again)."""

    key: str
    platform: str
    observed: datetime
    reason: str
    gone: bool = False


def failures_file(root: Path) -> Path:
    return metrics_folder(root) / "failures.csv"


def read_failures(root: Path) -> dict[str, StoredFailure]:
    path = failures_file(root)
    found: dict[str, StoredFailure] = {}
    for line, _header, row in _rows(path, FAILURE_COLUMNS):
        try:
            observed = parse_time(row["observed"])
        except ValueError as error:
            raise StoreError(f"{path}:{line}: {error}") from None
        if row["gone"] not in ("", "gone"):
            raise StoreError(f"{path}:{line}: gone is {row['gone']!r}; leave it empty or write gone")
        found[row["key"]] = StoredFailure(
            row["key"], row["platform"], observed, row["reason"], row["gone"] == "gone"
        )
    return found


def write_failures(root: Path, failures: Mapping[str, StoredFailure]) -> None:
    """Rewrite failures.csv (deleted when empty); unchanged content is not rewritten."""
    path = failures_file(root)
    if not failures:
        path.unlink(missing_ok=True)
        return
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FAILURE_COLUMNS)
    for failure in sorted(failures.values(), key=lambda item: item.key):
        gone = "gone" if failure.gone else ""
        writer.writerow([failure.key, failure.platform, format_time(failure.observed), gone, failure.reason])
    data = out.getvalue().encode("utf-8")
    if not path.is_file() or path.read_bytes() != data:
        replace_file(path, data)


# compaction ---------------------------------------------------------------------------------------------


def compact(root: Path, now: datetime) -> int:
    """Thin each delivery past its 30-day reading down to its settled points (closed months are then
    wholly thinned); returns how many rows were dropped. Files with nothing to drop are not rewritten."""
    dropped = 0
    last_month = f"{now.astimezone(UTC) - SETTLED_AFTER:%Y-%m}"
    for path in _files(root, lambda name: name[:1].isdigit() and name[:7] <= last_month):
        rows = read_month(path)
        kept = settled(rows, now)
        if len(kept) < len(rows):
            _write_month(path, kept)
            dropped += len(rows) - len(kept)
    return dropped


def settled(rows: Sequence[Observation], now: datetime) -> list[Observation]:
    """Per delivery older than SETTLED_AFTER at `now`: the first reading at or after 24 h, 7 d and 30 d of
    age, and the last reading; younger deliveries keep every row."""
    by_key: dict[str, list[Observation]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    kept: list[Observation] = []
    for readings in by_key.values():
        if now - readings[0].published < SETTLED_AFTER:
            kept.extend(readings)
            continue
        readings.sort(key=lambda row: row.observed)
        chosen = {id(readings[-1]): readings[-1]}
        for age in SETTLE_AGES:
            first = next((row for row in readings if row.observed - row.published >= age), None)
            if first is not None:
                chosen[id(first)] = first
        kept.extend(chosen.values())
    return kept
