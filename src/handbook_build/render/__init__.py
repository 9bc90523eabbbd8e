"""Render stage: takes the ``HtmlBook``, gives each edition's bytes (renderers never write files;
the chunk cache and the print edition's grey copies go to ``<output>/.cache/``).

- ``html.py``: the HTML edition. ``epub.py`` (+ ``epub_*.py``): the EPUB 3 edition.
- ``pdf.py``: the reading PDF; ``print_pdf.py`` (+ ``print_transform.py``, ``print_images.py``,
  ``cover_pdf.py``, ``imprint.py``): the print edition and its cover.
- ``paged/`` and ``pdf_merge/``: paged editions laid out in cached chunks, then merged;
  ``document.py``, ``paged_html.py``, ``notes_plan.py``, ``page_labels.py``, ``code_lines.py``,
  ``math_svg.py``: the paged documents' markup; ``weasy_*.py``: WeasyPrint patches and speed-ups;
  ``warm.py``: warming the engine.
- ``paged_limits.py``: what the paged editions refuse before laying anything out.
- ``fetch.py``: the only door to files for WeasyPrint (local, confined, no network).
- ``fonts.py``: every family the styles ask for must be installed.
- ``pod.py``: print-on-demand service rules as data (bleed, marks, paper, PDF variant).
- ``cover_image.py``: the EPUB's typographic cover; ``proof.py``: the print proof sheet.
"""
