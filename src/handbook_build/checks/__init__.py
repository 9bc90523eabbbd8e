"""Checks: takes a book's sources or a built edition, gives diagnostics; never makes an edition.
``handbook-build check`` runs them, and the build runs the ones that judge its own output
(the print preflight, EPUBCheck and Ace when asked).

- ``check.py``: ``handbook-build check``: a lint of the sources, or a check of a .epub/.pdf.
- ``lint_rules.py``: the scans ``check`` adds to what the sources stage already reports.
- ``pdfcheck.py``: structural check of a built PDF. ``typeset_check/``: what a designer sees on
  its pages, with ``pdf_layout.py`` (the text layer as lines and words), ``pdf_fonts.py``
  (embedded faces, missing glyphs) and ``pdf_images/`` (every placed image and its data).
- ``preflight/``: the print PDF against a print-on-demand profile.
- ``page_facts.py``: what a finished PDF's pages show (folios, first picture, first footnote).
- ``epubcheck.py``: EPUBCheck on a built EPUB. ``ace.py``: Ace by DAISY on it.

The package itself imports nothing: import the module you use.
"""
