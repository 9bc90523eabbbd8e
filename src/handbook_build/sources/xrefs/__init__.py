"""Cross-references: takes the chapters' text, gives labels on their targets and the references
to them as internal links in every edition.

Targets (found book-wide first by ``collect_labels``, so a chapter may refer to any other):

* MyST ``(label)=`` on the line before a heading, an image, a table or a paragraph;
* MyST ```` ```{figure} path ```` / ``:::{figure}`` directives (with ``:name: label``), which
  ``convert_myst_figures`` turns into ``![caption](path){#label}`` before any other step;
* pandoc/Quarto ids: ``## Title {#sec-x}``, ``![Caption](x.png){#fig-x}``, a table caption
  ``: Caption {#tbl-x}`` (or ``Table: ...``).

References (``resolve_xrefs``, after ``links``, so ``[text](#label)`` is already
``#slug--label``): MyST ``{ref}`label``` / ``{ref}`text <label>``` / ``{numref}`label``` /
``{numref}`Fig. %s <label>``` / ``{doc}`chapter``` (a chapter by its file name), Quarto
``@fig-x`` / ``@tbl-x`` / ``@sec-x`` (``[@fig-x]``, ``-@fig-x`` for the number alone) and
``[text](#label)`` to a label of another chapter (empty text: the target's title). When a book
uses numbered references (any ``{numref}`` or ``@fig-``/``@tbl-``), labelled figures and
tables are numbered in book order, and their captions start "Figure N:" / "Table N:" so
reference and caption agree. An unknown label is a warning at its line and prints as the
label's text (never as role syntax).

Every target's id is ``slug--id`` as ``shift_headings`` and ``html_ids.make_ids_unique`` give it,
or the chapter's own ``slug`` for the chapter's first heading (which may be dropped as a repeat of
the chapter title).

Modules: labels.py (collect_labels), figures.py (convert_myst_figures), targets.py
(mark_targets), references.py (resolve_xrefs), syntax.py (the label and id syntax they share).
"""

from __future__ import annotations

from handbook_build.sources.xrefs.figures import convert_myst_figures
from handbook_build.sources.xrefs.labels import Label, Labels, collect_labels
from handbook_build.sources.xrefs.references import resolve_xrefs
from handbook_build.sources.xrefs.targets import mark_targets

__all__ = ["Label", "Labels", "collect_labels", "convert_myst_figures", "mark_targets",
           "resolve_xrefs"]
