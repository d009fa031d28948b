"""The only place that knows the order of the stages."""

from __future__ import annotations

from dataclasses import dataclass

from postwright.config import Config, apply_severity, load_config
from postwright.diagnostics import Diagnostic
from postwright.load import Loaded, load_posts
from postwright.project import Project


@dataclass(frozen=True, slots=True)
class Checked:
    config: Config | None
    loaded: Loaded
    diagnostics: tuple[Diagnostic, ...]


def check(project: Project) -> Checked:
    """config → load → (render → validate, as those stages arrive): every problem, nothing written."""
    config, config_diagnostics = load_config(project)
    loaded = load_posts(project, config)
    return Checked(config, loaded, apply_severity(config, (*config_diagnostics, *loaded.diagnostics)))
