"""The catalogue of diagnostic codes: every ``Diagnostic.code`` the tool can emit.

Each entry names the code (or, for a family whose codes carry a dynamic suffix, its prefix and
pattern), the severities it is emitted at, the stage that emits it, what it means and how to fix
it. ``tests/test_diagnostic_catalogue.py`` reads the source and fails when a code is emitted that
is not listed here, or listed here and emitted nowhere; it also checks that
``docs/diagnostics.md`` is what :func:`render_markdown` gives, and
``tests/test_diagnostic_codes.py`` triggers every entry. Regenerate the page with ``make
diagnostics-doc`` (``python -m handbook_build.diagnostic_codes > docs/diagnostics.md``);
``python -m handbook_build.diagnostic_codes CODE`` explains one code.

Nothing here changes what a stage emits: the messages and hints the stages write stay theirs;
``hint`` here is the catalogue's own one-line summary of the fix.

Modules: ``entries`` (what an entry is), ``catalogue`` (the entries), ``lookup`` (finding
one, rendering the page, explaining a code); ``python -m`` runs ``lookup.main``.
"""

from handbook_build.diagnostic_codes.catalogue import CODES
from handbook_build.diagnostic_codes.entries import STAGES, CodeInfo, Stage
from handbook_build.diagnostic_codes.lookup import explain, find, main, render_markdown

__all__ = ["CODES", "STAGES", "CodeInfo", "Stage", "explain", "find", "main", "render_markdown"]
