"""The pandoc stage: the only module that imports pypandoc. Manuscript text -> HTML fragment.

pandoc comes from the ``pypandoc-binary`` wheel; no system pandoc is needed or used.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import cast

from handbook_build.errors import MissingToolError, RenderError
from handbook_build.html.assemble import PANDOC_MARKDOWN_FORMAT

# pypandoc relays pandoc's stderr warnings ("Div ... unclosed") as log records with positions in
# the assembled manuscript, which mean nothing to an editor; the chapter transforms report the
# same problems at the chapter's own lines, so pandoc's copies are kept out of the output.
logging.getLogger("pypandoc").setLevel(logging.ERROR)

# One reader format for the whole project; assemble.py explains each extension.
READER_FORMAT = PANDOC_MARKDOWN_FORMAT

_HTML_ARGS = (
    "--section-divs",  # one <section> per chapter and per heading: the split points
    "--wrap=none",
    # Highlighted code as class names only (a fragment carries no CSS): the colours live in
    # styles/technical.css, print-safe ones in print.css.
    "--syntax-highlighting=default",
    "--mathml",  # formulas as MathML; the paged editions draw it as SVG (render/math_svg.py)
    "--shift-heading-level-by=0",
)


def _footnote_filter_path() -> Path:
    return Path(str(resources.files("handbook_build") / "data" / "footnotes.lua"))


def _math_filter_path() -> Path:
    return Path(str(resources.files("handbook_build") / "data" / "math.lua"))


@functools.cache
def pandoc_version() -> str:
    """The pandoc version, part of every cache key."""
    pypandoc = _import_pypandoc()
    try:
        return str(pypandoc.get_pandoc_version())
    except OSError as error:
        raise _missing_pandoc(error) from error


def markdown_to_html(text: str, bibliography: Path | None = None) -> str:
    """Convert the whole manuscript in one pandoc run; footnotes become inline spans.

    With ``bibliography`` (a .bib or CSL JSON file), citeproc turns ``[@key]`` into text and
    writes the entries into the ``#refs`` div (citations.py adds it as the last chapter)."""
    pypandoc = _import_pypandoc()
    args = [*_HTML_ARGS, f"--lua-filter={_math_filter_path()}"]
    if bibliography is not None:
        # before the footnote filter, so a note style's citation notes become inline spans too
        args += ["--citeproc", f"--bibliography={bibliography}"]
    args.append(f"--lua-filter={_footnote_filter_path()}")
    try:
        html = pypandoc.convert_text(text, "html5", format=READER_FORMAT, extra_args=args)
    except OSError as error:
        raise _missing_pandoc(error) from error
    except RuntimeError as error:
        raise RenderError(f"pandoc failed on the manuscript: {error}; check the chapter named "
                          "in pandoc's message") from error
    return str(html)


def _import_pypandoc() -> ModuleType:
    try:
        import pypandoc
    except ImportError as error:
        raise MissingToolError(
            "pypandoc is not installed; run `make` (or pip install pypandoc-binary)"
        ) from error
    return cast(ModuleType, pypandoc)


def _missing_pandoc(error: OSError) -> MissingToolError:
    return MissingToolError(
        f"pandoc is not available ({error}); run `make` to install pypandoc-binary, "
        "which ships the pandoc binary"
    )
