"""Project: where a brand repository's parts live. Every command works on one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Project:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "config.yml"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def assets_dir(self) -> Path:
        return self.root / "assets"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def shown(self, path: Path) -> str:
        """Repo-relative POSIX path for messages; absolute if outside the repository."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()
