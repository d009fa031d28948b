"""The command-line options several commands share, each declared once with one help text, so the same
option means the same thing (and reads the same in --help) wherever it appears."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

Command = TypeVar("Command", bound=Callable[..., object])


def at_option(default: str = "now") -> Callable[[Command], Command]:
    """--at, the time a command works as at; `default` says what it is without --at."""
    return click.option(
        "--at",
        "at_text",
        metavar="ISO-TIME",
        help="Work as at this time, e.g. 2026-12-01T09:00 (without an offset: in the brand's time "
        f"zone). Default: {default}.",
    )


def dry_run_option(effect: str) -> Callable[[Command], Command]:
    """--dry-run; `effect` is the command's own sentence: what it shows and what it leaves alone."""
    return click.option("--dry-run", is_flag=True, help=effect)


strict_option = click.option("--strict", is_flag=True, help="Fail on warnings too.")

only_account_option = click.option("--account", metavar="NAME", help="Only this account.")

publish_folder_option = click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to build into (default: publish/ in the project); its previous content is replaced.",
)

base_url_option = click.option(
    "--base-url",
    metavar="URL",
    help="Where the preview site is served (e.g. https://acme.github.io/social/), for the links of "
    "calendar.ics and its events; default: preview.base_url in config.yml, else relative links.",
)

_FORMATS = {
    "human": "for people",
    "github": "annotations in GitHub Actions",
    "markdown": "for a pull-request comment or a job summary",
    "html": "one self-contained page with charts",
    "json": "for programs",
}


def format_option(*names: str) -> Callable[[Command], Command]:
    """--format with these of the output formats (the first is the default), each with its description."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(names),
        default=names[0],
        show_default=True,
        help="; ".join(f"{name}: {_FORMATS[name]}" for name in names) + ".",
    )
