"""Where the non-Python files live: the checkout's top-level folders, else the installed copy."""

from __future__ import annotations

from pathlib import Path

RESOURCE_NAMES = ("templates", "static", "manifest")


def resource_dir(name: str) -> Path:
    """The folder `templates`, `static` or `manifest`.

    From a checkout it is the repository-root folder; in an installed wheel it is
    `addin_server/_data/<name>` (pyproject's hatch force-include copies it there).
    """
    if name not in RESOURCE_NAMES:
        raise ValueError(f"unknown resource folder: {name!r}")
    package = Path(__file__).resolve().parent
    checkout = package.parent / name
    # pyproject.toml beside the package marks a checkout (site-packages has none).
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return package / "_data" / name
