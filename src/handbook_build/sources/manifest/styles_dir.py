"""Where the style sheets are: the project's ``styles/`` folder, else the packaged copy."""

from __future__ import annotations

from pathlib import Path

from handbook_build.errors import MissingToolError


def find_styles_dir() -> Path:
    """The project's ``styles/`` folder, else the copy packaged with the code."""
    package_dir = Path(__file__).parents[2]  # this file: handbook_build/sources/manifest/
    candidates = (package_dir.parents[1] / "styles", package_dir / "data" / "styles",
                  package_dir / "styles")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise MissingToolError(f"the style sheets are missing (looked in {looked}); "
                           "reinstall handbook-build")
