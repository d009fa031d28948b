"""The only place that knows the order of the stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postwright import render, validate, write
from postwright.config import Config, apply_severity, load_config
from postwright.diagnostics import Diagnostic
from postwright.load import Loaded, load_posts
from postwright.model import Variant
from postwright.project import Project


@dataclass(frozen=True, slots=True)
class Checked:
    config: Config | None
    loaded: Loaded
    variants: tuple[Variant, ...]
    diagnostics: tuple[Diagnostic, ...]


def check(project: Project) -> Checked:
    """config → load → render → validate: every problem, nothing written."""
    config, config_diagnostics = load_config(project)
    loaded = load_posts(project, config)
    variants: list[Variant] = []
    found = [*config_diagnostics, *loaded.diagnostics]
    if config is not None:
        templates = render.load_templates(project)
        for post in loaded.posts:
            for account in post.targets:
                variant, problems = render.render(post, account, config, templates)
                found += problems
                if variant is not None:
                    variants.append(variant)
        found += validate.check_variants(variants, config)
    # a broken template fails every variant that uses it: report it once
    return Checked(config, loaded, tuple(variants), apply_severity(config, dict.fromkeys(found)))


def build(project: Project, out_dir: Path | None = None) -> tuple[Checked, dict[str, Any] | None]:
    """check, then write publish/ (every rendered variant, with its problems next to it)."""
    checked = check(project)
    if checked.config is None:
        return checked, None
    target = out_dir or project.root / "publish"
    return checked, write.write_publish(
        project, checked.config, checked.variants, checked.diagnostics, target
    )
