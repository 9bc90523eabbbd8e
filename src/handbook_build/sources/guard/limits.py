"""Every size limit of the inputs, in one place."""

from __future__ import annotations

# The largest chapter of the real handbook is 25 KB; a megabyte is a 600-page book in one file.
MAX_CHAPTER_BYTES = 1024 * 1024
# 64 megapixels: a 300 dpi photo across a whole A3 page; a real phone photo is 12 to 48.
MAX_IMAGE_PIXELS = 64_000_000
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_SVG_BYTES = 10 * 1024 * 1024
# Lists and block quotes, counted together. Real books use 3 or 4; each level is two HTML
# elements, and WeasyPrint's layout recursion gives out somewhere past 100 elements.
MAX_NESTING = 16
MAX_RAW_HTML_DEPTH = 32  # raw HTML elements open inside each other
MAX_HTML_DEPTH = 80  # elements below a chapter's <section> in the final HTML
# book.toml and the contents list: the real handbook's are 2 KB and 6 KB.
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_BIBLIOGRAPHY_BYTES = 20 * 1024 * 1024  # [book] bibliography: a .bib of many thousand entries
# A style sheet or a font (the largest CJK fonts are about 20 MB).
MAX_STYLE_BYTES = 50 * 1024 * 1024
