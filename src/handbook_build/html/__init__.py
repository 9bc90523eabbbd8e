"""HTML stage: takes the ``Book`` of the sources stage, gives the ``Manuscript`` (the one Markdown
document, ``<stem>.md``) and the ``HtmlBook`` every renderer reads: one pandoc run for the whole
book, split per section, sanitized, ids and links checked (docs/design.md, "The HTML contract").

- ``assemble.py``: ``Book`` -> ``Manuscript`` (the reader format pandoc reads it as).
- ``pandoc.py``: the only importer of pypandoc. ``html_cache.py``: per-section pandoc cache.
- ``htmlbook.py``: ``to_html``, the stage: pandoc's HTML -> ``HtmlBook``; runs the rest.
- ``sanitize.py`` (+ ``css_subset.py``, the inline CSS that survives): the nh3 allow-list.
- ``html_ids.py``: every id unique, every ``#`` link lands.
- ``math_html.py``: pandoc's MathML through the sanitizer.
- ``code_blocks.py``, ``wide_tables.py``, ``headshots.py``, ``signatures.py``: markup for code,
  wide tables, pictures inside a paragraph, closing signatures.
- ``typography.py`` (+ ``emoji_text.py``): line-breaking marks and emoji presentation a
  stylesheet cannot express (also used by ``render/`` for the paged editions).

The package itself imports nothing: import the module you use.
"""
