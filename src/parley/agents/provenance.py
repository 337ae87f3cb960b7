"""Where spec files come from in git: the commit they were read at and whether they had edits.

One `git` call per repository (not per file), so applying hundreds of specs stays fast.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from parley.agents.service import Provenance


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def git_provenance(files: list[Path]) -> dict[Path, Provenance]:
    """Provenance for each file; files outside a git work tree get only their path."""
    out: dict[Path, Provenance] = {}
    by_root: dict[Path | None, list[Path]] = {}
    roots: dict[Path, Path | None] = {}
    for file in files:
        folder = file.resolve().parent
        if folder not in roots:
            top = _git(folder, "rev-parse", "--show-toplevel")
            roots[folder] = Path(top.strip()) if top else None
        by_root.setdefault(roots[folder], []).append(file)
    for root, members in by_root.items():
        commit = dirty = None
        if root is not None:
            head = _git(root, "rev-parse", "HEAD")
            commit = head.strip() if head else None
            status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", ".")
            dirty = {
                (root / line[3:].strip().strip('"')).resolve()
                for line in (status or "").splitlines()
            }
        for file in members:
            out[file] = Provenance(
                path=str(file),
                git_commit=commit,
                git_dirty=bool(dirty) and file.resolve() in (dirty or set()),
            )
    return out
