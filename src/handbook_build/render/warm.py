"""Start forked workers warm: WeasyPrint imported, fontconfig loaded, cffi's C types parsed and
the PDF writer's code paths run once, in the process that forks them.

Every edition's layouts run in forked children (paged/workers.py isolates each run in its own
process), and each child used to pay the same start: ``import weasyprint`` (about half a
second), fontconfig's configuration, and a C-declaration parse (pycparser) per cffi type the
first time it is used. Done once before the fork, the children inherit it all.
"""

from __future__ import annotations

import logging

WARM_DOCUMENT = ("<!DOCTYPE html><html lang='en'><head><style>@page { size: 4in 4in }"
                 "</style></head><body><h1>Warm</h1><p>A <em>short</em> <strong>page</strong>"
                 " 1.</p></body></html>")
_WARMED = [False]


def warm_renderer() -> None:
    """Lay out and write one tiny page (no file, no network), once per process."""
    if _WARMED[0]:
        return
    _WARMED[0] = True
    from handbook_build.render.pdf import load_weasyprint

    weasyprint = load_weasyprint()
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # nothing of this page may reach a build's warnings
    try:
        weasyprint.HTML(string=WARM_DOCUMENT).render().write_pdf()
    except Exception:
        pass
    finally:
        logger.setLevel(level)
