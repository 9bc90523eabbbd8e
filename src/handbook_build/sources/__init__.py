"""Sources stage: reading the book. Takes ``book.toml`` (or a bare contents file, a folder, or
another tool's entry file) and gives a ``Manifest``, then each chapter read (confined, UTF-8) and
normalized into one Markdown dialect, with its images pointing at local files: a ``Book`` and its
diagnostics. Everything here works on the book's own files and text, before pandoc.

Reading what the book is:
- ``manifest/``: ``book.toml`` -> ``Manifest`` (every problem at once, as diagnostics).
- ``ecosystems/``: mdBook, Jupyter Book, MyST, Quarto, GitBook, a pandoc folder -> ``Manifest``.
- ``inputs.py``: what the command line may be given as a book.
- ``contents.py``: the contents list -> ``TocNode``s. ``structure.py``: parts, numbers, titles.
- ``citations.py``: ``[@key]`` against the bibliography the manifest names.

Reading the chapters (``chapters.py``: ``read_book``, runs the rest in order -> ``Book``):
- ``guard/``: limits and safety checks of every input (stat before read, image bombs, SVG).
- ``includes.py``: ``{{#include}}``-style directives replaced by the files they name.
- ``front_matter.py``: a chapter's YAML front matter as metadata, never text.
- ``markdown_scan/``: code-aware scanning (code and prose apart, inline links, positions).
- ``markdown_fix/``: pure text transforms, one module per transform.
- ``fences.py``, ``admonitions.py``, ``listings.py``, ``task_lists.py``, ``math_marks.py``,
  ``site_junk.py``: one dialect feature each, rewritten into the one pandoc reads.
- ``xrefs/``: cross-references as internal links. ``links/``: link repair and rewriting.
- ``images/``: image references -> local files or placeholders; ``svg_clean.py``: SVG made
  inert by an allow-list; ``alt_text.py``: alt text that says nothing (shared with the lint and
  the EPUB's accessibility metadata).
- ``markdown_html.py``: raw HTML in a chapter made inert; ``markdown_inert.py``: the last
  transform, ``<stem>.md`` inert under plain pandoc.

The package itself imports nothing: import the module you use.
"""
