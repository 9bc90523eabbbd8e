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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from handbook_build.model import Severity

Stage = Literal["check", "manifest", "ecosystem", "contents", "chapters", "images", "links",
                "lint", "html", "output", "editions", "pdf-check", "epub-check"]

# In the order a build meets them; the titles head the sections of docs/diagnostics.md.
STAGES: tuple[tuple[Stage, str], ...] = (
    ("check", "`handbook-build check` itself"),
    ("manifest", "book.toml (sources/manifest/, sources/inputs.py)"),
    ("ecosystem", "Another tool's entry file: mdBook, Jupyter Book, MyST, Quarto, GitBook, "
                  "a pandoc folder (sources/ecosystems/)"),
    ("contents", "The contents list (sources/contents.py, sources/structure.py)"),
    ("chapters", "Reading the chapters (sources/: chapters.py, guard/, includes.py, "
                 "markdown_fix/, markdown_inert.py, site_junk.py, citations.py, xrefs/)"),
    ("images", "Images (sources/images/)"),
    ("links", "Links (sources/links/)"),
    ("lint", "Lint rules of `check` only (checks/lint_rules.py)"),
    ("html", "The HTML book (html/: htmlbook.py, html_ids.py, math_html.py)"),
    ("output", "Output paths (output_guard.py)"),
    ("editions", "Making the editions (editions.py, render/paged_limits.py)"),
    ("pdf-check", "A built PDF: structure and typesetting (checks/: pdfcheck.py, typeset_check/; "
                  "thresholds in typesetting-check.md)"),
    ("epub-check", "A built EPUB: EPUBCheck and Ace by DAISY (checks/check.py, editions.py)"),
)


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One code, or one family of codes (``family``: ``code`` is the prefix every member
    starts with, ``pattern`` shows the whole form, e.g. ``ace:<rule>``)."""

    code: str
    severities: tuple[Severity, ...]  # every severity it is emitted at
    stages: tuple[Stage, ...]  # the first is the one it is listed under
    meaning: str
    hint: str
    family: bool = False
    pattern: str = ""

    @property
    def stage(self) -> Stage:
        return self.stages[0]

    @property
    def shown(self) -> str:
        return self.pattern or self.code

    def matches(self, code: str) -> bool:
        return code.startswith(self.code) if self.family else code == self.code


_E: tuple[Severity, ...] = ("error",)
_W: tuple[Severity, ...] = ("warning",)
_EW: tuple[Severity, ...] = ("error", "warning")


_STAGE_NAMES: Mapping[str, Stage] = MappingProxyType({stage: stage for stage, _ in STAGES})


def _c(code: str, severities: tuple[Severity, ...], stages: str, meaning: str, hint: str
       ) -> CodeInfo:
    """One code; ``stages`` is space-separated, the first the one it is listed under."""
    return CodeInfo(code, severities, tuple(_STAGE_NAMES[name] for name in stages.split()),
                    meaning, hint)


CODES: tuple[CodeInfo, ...] = (
    # --- check ------------------------------------------------------------------------------
    _c("missing-file", _E, "check manifest ecosystem pdf-check",
       "the file or folder named (the check's target, the book, an mdBook SUMMARY.md, a "
       "cover, a bibliography, the contents file) does not exist",
       "give the path of a file that exists (paths are relative to the working folder)"),
    _c("manifest", _E, "check",
       "a bare contents file or folder could not be read as a book (check wraps the error)",
       "fix the problem the message names, or write a book.toml"),
    _c("source", _E, "check",
       "a chapter, image or style file could not be used while reading the book (check "
       "wraps the error)",
       "fix the file the message names"),
    # --- manifest ---------------------------------------------------------------------------
    _c("toml-syntax", _E, "manifest", "book.toml is not valid TOML",
       "fix the syntax at the line given (strings need quotes, dates do not)"),
    _c("unreadable", _E, "manifest chapters",
       "book.toml, the contents file or a chapter cannot be read (permissions, not text)",
       "check the file's permissions; give a UTF-8 text file"),
    _c("not-utf8", _E, "manifest chapters", "the file is not valid UTF-8",
       "save the file as UTF-8"),
    _c("not-a-file", _E, "manifest chapters",
       "a chapter path names a folder, FIFO, device or socket, not a regular file",
       "list a Markdown file"),
    _c("unknown-key", _EW, "manifest ecosystem",
       "book.toml (or another tool's entry file) has a key or section the tool does not know",
       "fix the spelling (the hint names the close match) or remove it"),
    _c("wrong-type", _E, "manifest ecosystem",
       "a key holds the wrong kind of value (text, list, mapping, number)",
       "write the value in the form the hint shows"),
    _c("bad-value", _E, "manifest ecosystem",
       "a key's value is not allowed (a choice, language tag, URL, file name, trim, font "
       "size, margin, bibliography type)",
       "use one of the values the hint lists"),
    _c("error", _E, "manifest",
       "epub.nav_depth is not a whole number from 1 to 6 (this check is coded with the "
       "manifest reader's default code, error)",
       "set nav_depth between 1 and 6 (2 is the default)"),
    _c("missing-key", _E, "manifest", "book.title is missing or empty",
       'add title = "..." under [book]'),
    _c("missing-date", _E, "manifest", "book.date is missing",
       "set book.date (or SOURCE_DATE_EPOCH) so every build gives the same date"),
    _c("conflict", _E, "manifest", "site.url differs from book.site_url",
       "give the site's address once"),
    _c("bad-identifier", _E, "manifest", "an identifier is neither an ISBN nor a urn:uuid",
       'write "978-..." with a valid check digit, or "urn:uuid:" and a UUID'),
    _c("identifier-collision", _E, "manifest", "two editions have the same identifier",
       "give each edition its own ISBN or UUID"),
    _c("bad-alias", _E, "manifest", "a site.aliases entry names a file that is not a chapter",
       "name a chapter file of the contents list"),
    _c("missing-folder", _E, "manifest",
       "the source, chapters or images folder does not exist",
       "fix the path (or set the environment variable it names)"),
    _c("missing-variable", _E, "manifest",
       "contents.source uses an environment variable that is not set",
       "set the variable or give a default: ${NAME:-../folder}"),
    _c("outside-root", _E, "manifest ecosystem chapters",
       "a path (chapter, folder, cover, bibliography, mdBook src, MyST extends) leads "
       "outside the book's folders",
       "keep every file of the book inside its folders"),
    _c("symlink-loop", _E, "manifest ecosystem contents",
       "a chapter or folder is a symbolic link that points back at itself",
       "point the link at a real file or folder"),
    _c("system-folder", _E, "manifest ecosystem",
       "a folder of the book is a system folder (/, /etc, /usr, $HOME, /proc ...)",
       "point it at the folder that holds the book"),
    _c("missing-chapter", _E, "manifest chapters",
       "a chapter of the contents list has no file, or its file does not exist",
       "fix the file name in the contents list"),
    _c("empty-contents", _E, "manifest ecosystem contents",
       "the contents list (or the other tool's table of contents) names no chapter",
       "list the chapters as '- [Title](chapter.md)', one per line"),
    _c("pod-profile", _E, "manifest",
       "the print margins are below the print-on-demand profile's minimum",
       "widen the margins to the profile's minimum (KDP: inner 0.375in, others 0.25in)"),
    _c("no-manifest", _W, "manifest ecosystem",
       "no book.toml (or GitBook book.json): the metadata is defaulted",
       "write a book.toml (or book.json) with a title and authors for a release"),
    # --- another tool's entry file -----------------------------------------------------------
    _c("usage", _E, "ecosystem", "--source was given for a book of another tool",
       "drop --source: the entry file names its own chapters"),
    _c("yaml-syntax", _E, "ecosystem", "the YAML entry file is not valid YAML",
       "check the indentation and quote values holding ': ' or '#'"),
    _c("yaml-shape", _E, "ecosystem", "the YAML entry file is not a mapping of keys",
       "write it as 'key: value' lines"),
    _c("yaml-size", _E, "ecosystem",
       "the YAML expands to too many values (aliases) or nests too deeply",
       "write the entries out instead of through '*alias' references"),
    _c("json-syntax", _E, "ecosystem", "GitBook's book.json is not valid JSON",
       "check the commas and quotes near the line given"),
    _c("json-shape", _E, "ecosystem", "GitBook's book.json is not a JSON object",
       'write it as {"title": "...", "author": "..."}'),
    _c("toc-shape", _E, "ecosystem",
       "the table of contents (_toc.yml, myst.yml, _quarto.yml, a glob pattern) has the "
       "wrong shape",
       "write the entries in the form the hint shows"),
    _c("not-a-book", _E, "ecosystem", "_quarto.yml is a Quarto project that is not a book",
       "handbook-build builds 'project: type: book'"),
    _c("not-markdown", _E, "ecosystem contents",
       "a chapter is not a Markdown file (a notebook, reStructuredText, ...)",
       "link each chapter to its .md file (convert notebooks with jupytext)"),
    _c("bad-date", _W, "ecosystem", "the date is not a calendar date; a fixed date is used",
       "write the date as 2024-01-31"),
    _c("no-cover", _W, "ecosystem", "the cover named is not an image file: no cover image",
       "name a PNG or JPEG cover"),
    _c("ignored", _W, "ecosystem", "several bibliography files are named; only the first is read",
       "merge the bibliographies into one file"),
    _c("no-title", _W, "ecosystem", "mdBook's book.title is missing: the folder name is used",
       'add title = "..." under [book]'),
    _c("preprocessor", _W, "ecosystem",
       "an mdBook preprocessor other than includes is not run",
       "expand its syntax beforehand, or remove its table"),
    _c("draft-chapter", _W, "ecosystem", "a draft chapter '- [Title]()' has no file: left out",
       "link it to its .md file once it is written"),
    _c("url-entry", _W, "ecosystem", "a web link in the table of contents is left out",
       "link the page from a chapter instead"),
    _c("part-text", _W, "ecosystem", "a Quarto part file holds more than its title",
       "move its text into a chapter of the part"),
    _c("unnumbered", _W, "ecosystem",
       "a .md file beside a pandoc folder's numbered chapters is not numbered: not a chapter",
       "number it (e.g. 03-name.md) to add it"),
    _c("empty-pattern", _W, "ecosystem", "a glob or pattern of the table matches no Markdown file",
       "check the folder and the suffix"),
    _c("contents-depth", _EW, "contents ecosystem",
       "the contents nest deeper than three levels (an error in contents.md; in another "
       "tool's table the entry is kept at level three with a warning)",
       "indent the item less: parts, chapters and sub-chapters are the only levels"),
    _c("duplicate-chapter", _EW, "contents ecosystem",
       "a chapter file is listed twice (an error in contents.md, a warning elsewhere)",
       "list each chapter file once"),
    # --- contents ---------------------------------------------------------------------------
    _c("malformed-link", _W, "contents", "a contents link target is malformed; read as repaired",
       "write the link as '(chapter.md)'"),
    _c("empty-title", _E, "contents", "a contents link has no text to be the chapter title",
       "write it as '[Chapter title](chapter.md)'"),
    _c("slug-collision", _E, "contents", "two chapters get the same id from their file names",
       "rename one of the files"),
    _c("capital-title", _W, "contents",
       "a contents title is typed in capitals; shown in title case",
       "type it in title case (or set [book] title_case = false)"),
    # --- chapters ---------------------------------------------------------------------------
    _c("binary-file", _E, "chapters", "the chapter contains a NUL byte: not a text file",
       "check that the contents list names a Markdown file"),
    _c("empty-chapter", _W, "chapters", "the chapter file is empty",
       "write it or take it out of the contents list"),
    _c("bad-cover", _E, "chapters", "book.cover is not a sound PNG or JPEG (damaged, or "
       "an image it cannot use)",
       "set book.cover to a sound PNG or JPEG file"),
    _c("chapter-too-large", _E, "chapters", "the chapter is larger than a chapter may be (1 MB)",
       "split it into several chapters (or check it is the right file)"),
    _c("nesting-too-deep", _E, "chapters",
       "lists, block quotes or raw HTML nest deeper than any renderer can lay out",
       "flatten the nesting"),
    _c("raw-html-dropped", _W, "chapters html", "raw HTML the sanitizer does not allow was removed",
       "write it as Markdown"),
    _c("include-missing", _E, "chapters", "an include names no file, or its file does not exist",
       "fix the path (relative to the including file)"),
    _c("include-anchor-missing", _E, "chapters",
       "the included file has no such ANCHOR, :start-after: or :end-before: text",
       "add the anchor lines to the file, or fix the name"),
    _c("include-bad-option", _E, "chapters", "an include's :start-line:/:end-line: is not a number",
       "write a whole number of lines"),
    _c("include-cycle", _E, "chapters", "includes include each other in a cycle",
       "remove one of the includes"),
    _c("include-outside-root", _E, "chapters", "an included file lies outside the book's folders",
       "keep included files inside the book"),
    _c("include-too-deep", _E, "chapters", "includes nest more than 10 deep",
       "include fewer levels"),
    _c("include-too-large", _E, "chapters", "a chapter's includes add up to too many bytes",
       "include less, or split the chapter"),
    _c("include-unusable", _E, "chapters",
       "an included file is not a readable UTF-8 text file",
       "include a readable UTF-8 text file"),
    _c("control-character", _W, "chapters", "invisible control characters were removed",
       "remove them from the source"),
    _c("glued-heading", _W, "chapters",
       "a heading is glued to the previous line or its end; repaired",
       "put the heading on a line of its own after a blank line"),
    _c("wrapped-heading", _W, "chapters", "a heading was wrapped onto the next line; joined",
       "keep a heading on one line"),
    _c("duplicate-reference", _W, "chapters", "a reference link label is defined twice",
       "give each link target its own label"),
    _c("undefined-reference", _W, "chapters", "a reference link's label is not defined",
       "add `[label]: url` or make it an inline link"),
    _c("duplicate-footnote", _W, "chapters", "a footnote label is defined twice",
       "give each note its own label"),
    _c("undefined-footnote", _W, "chapters", "a footnote is called but never defined",
       "add `[^label]: note text` on a line of its own"),
    _c("unused-footnote", _W, "chapters", "a footnote is defined but never called",
       "cite it in the text or delete the definition"),
    _c("heading-too-deep", _W, "chapters", "a heading level beyond 6; made level 6",
       "use fewer levels of headings"),
    _c("heading-jump", _W, "chapters", "a heading skips a level (## then ####)",
       "do not skip heading levels"),
    _c("duplicate-id", _W, "chapters", "an {#id} is used twice in a chapter; the second numbered",
       "give each heading its own {#id}"),
    _c("unclosed-block", _W, "chapters",
       "a ::: div fence or a <div> is never closed; closed at the chapter's end",
       "close it where it should end"),
    _c("raw-block-escaped", _W, "chapters",
       "a raw block or raw attribute is shown as code in the .md edition, never passed through",
       "write it as Markdown"),
    _c("raw-tex-escaped", _W, "chapters", "a LaTeX command is shown as text in the .md edition",
       "write it as Markdown"),
    _c("attribute-dropped", _W, "chapters", "an unsafe attribute was removed from the .md edition",
       "keep ids, classes, lang, dir, title, width, height and data-* attributes"),
    _c("site-shortcode", _W, "chapters", "a WordPress shortcode was removed",
       "delete it from the source: it only works on the website"),
    _c("site-token", _W, "chapters", "a site-verification token was removed",
       "delete it from the source"),
    _c("citation-unknown", _W, "chapters", "a citation key is not in the bibliography",
       "check the key, or add the entry to the bibliography file"),
    _c("xref-unresolved", _W, "chapters", "a cross-reference names an unknown label",
       "define the label with (label)= or {#label}"),
    _c("math-unparsed", _W, "html", "a TeX formula cannot be read; shown as code",
       "check its braces and commands"),
    # --- images -----------------------------------------------------------------------------
    _c("missing-image", _E, "images", "a local image file does not exist (a typo, most often)",
       "fix the file name (the hint suggests the closest one) or add the file"),
    _c("unresolved-image", _W, "images",
       "an image is refused (unsafe, damaged, an unsupported format) or is a web picture "
       "with no local copy: a placeholder is shown",
       "put a sound copy in an image folder, named like the URL's file; --strict fails on it"),
    _c("missing-alt", _W, "images", "an image has no alt text",
       "describe the image in ![...] or alt=\"...\""),
    _c("meaningless-alt", _W, "images", "an image's alt text says nothing ('image', a file name)",
       "describe what the image shows"),
    _c("svg-cleaned", _W, "images", "scripts or outside references were removed from an SVG",
       "make the SVG self-contained (only #id references)"),
    _c("caption-shortcode", _W, "images",
       "a WordPress [caption] shortcode was turned into a figure",
       "write the figure as ![caption](src) on its own paragraph"),
    # --- links ------------------------------------------------------------------------------
    _c("malformed-url", _W, "links", "a malformed URL was repaired",
       "fix the link in the source"),
    _c("unsafe-link", _W, "links", "a link with an unsafe scheme (javascript:, file:) was removed",
       "link only to web pages, e-mail addresses and the book's chapters"),
    _c("unlinked-target", _W, "links",
       "a link's target is empty, not a URL, or a file that is not a chapter: kept as text",
       "fix the target, or add the file to the contents list"),
    # --- lint ------------------------------------------------------------------------------
    _c("orphan-chapter", _W, "lint",
       "a Markdown file in the chapters folder is not in the contents",
       "list it in the contents file or delete it"),
    _c("duplicate-title", _W, "lint", "two parts or chapters have the same title",
       "give each part and chapter its own title"),
    _c("broken-anchor", _W, "lint html", "a link's #anchor names no heading or id",
       "fix the anchor in the link, or add the heading"),
    _c("site-unmapped", _W, "lint", "a link to the book's web site maps to no chapter",
       "link the chapter file, or add a site.aliases entry"),
    _c("raw-html", _W, "lint", "raw HTML in a chapter (the sanitizer keeps or drops it)",
       "write it as Markdown"),
    # --- output ------------------------------------------------------------------------------
    _c("output-collision", _E, "output",
       "an output would overwrite a source (manifest, contents, chapter, image, style) or a "
       "file handbook-build did not write",
       "choose another -o folder"),
    # --- editions ----------------------------------------------------------------------------
    _c("too-many-footnotes", _E, "editions",
       "a chapter has more footnotes than the PDFs lay out (5,000)",
       "split the chapter, or build the other editions only"),
    _c("render-warning", _W, "editions",
       "the renderer warned while making an edition: a font family the styles name is not "
       "installed, a footnote off its call's page, an EPUB reference it could not resolve",
       "read the message; it names what the renderer could not do"),
    _c("typesetting", _W, "editions",
       "the typesetting check of a built PDF found errors or warnings",
       "run handbook-build check on the PDF for the pages"),
    _c("preflight", _W, "editions",
       "a print preflight rule with no findings of its own failed (trim, page count, gutter, "
       "outside margins, fonts, transparency, colour space, annotations, PDF variant)",
       "read <stem>-print-preflight.json for the rule and what to change"),
    CodeInfo("preflight-", _EW, ("editions",),
             "one finding of a print preflight rule (rules with findings: image-data, "
             "image-resolution, glyphs), with the file to replace",
             "replace the image or character the message names", family=True,
             pattern="preflight-<rule>"),
    _c("epub-no-page-list", _W, "editions",
       "the EPUB has no page list: the print layout was refused (too many footnotes)",
       "split the chapter to get the print edition's page list"),
    # --- pdf-check ----------------------------------------------------------------------------
    _c("pdf-empty", _E, "pdf-check", "the PDF has no pages", "rebuild it"),
    _c("pdf-encrypted", _E, "pdf-check", "the PDF is encrypted",
       "editions must open without a password; rebuild it"),
    _c("pdf-unreadable", _E, "pdf-check", "the file is not a readable PDF",
       "rebuild it (a partial write or a wrong file)"),
    _c("font-not-embedded", _E, "pdf-check", "fonts of the PDF are not embedded",
       "install the fonts the style sheet names, rebuild"),
    _c("pdf-no-outline", _EW, "pdf-check",
       "the PDF has no outline (an error where an outline is required)",
       "check the style sheet's bookmark-level"),
    _c("pdf-broken-outline", _E, "pdf-check", "outline entries point to no page",
       "rebuild; a rendering bug, please report it"),
    _c("pdf-broken-link", _E, "pdf-check", "internal links lead nowhere",
       "every internal link needs an existing target id"),
    _c("pdf-odd-pages", _E, "pdf-check", "the print PDF has an odd number of pages",
       "rebuild: the print renderer pads to an even count"),
    _c("pdf-annotations", _E, "pdf-check", "the print PDF has annotations (links, widgets)",
       "rebuild the print edition"),
    _c("pdf-form-fields", _E, "pdf-check", "the print PDF has form fields",
       "form fields belong in the -print-fillable.pdf only"),
    _c("typesetting-not-checked", _W, "pdf-check",
       "the pages were not checked (pdftotext missing or failing)",
       "install poppler-utils"),
    _c("glyph-missing", _E, "pdf-check", "text draws a missing glyph: a box or nothing",
       "replace the character, or name a face that has it"),
    _c("script-not-covered", _E, "pdf-check",
       "text of a script is set in a face without its glyphs",
       "name a face that covers the script in the style sheet"),
    _c("face-fallback", _W, "pdf-check",
       "a face no style sheet names was embedded (fontconfig's fallback)",
       "name the face in font-family, or remove the characters the named faces lack"),
    _c("image-garbled", _E, "pdf-check", "an image does not decode as its /ColorSpace says",
       "rebuild with a fixed renderer or convert the source image"),
    _c("image-low-resolution", _EW, "pdf-check",
       "an image prints below the profile's resolution (warning; error below the minimum)",
       "replace it with a larger original or set it smaller"),
    _c("image-off-page", _E, "pdf-check", "an image runs off the page",
       "give it max-width: 100% or a smaller size"),
    _c("image-outside-text-block", _W, "pdf-check", "an image reaches outside the text block",
       "limit figures to the text width (max-width: 100%)"),
    _c("hyphen-in-heading", _W, "pdf-check", "a heading is hyphenated",
       "hyphens: manual on headings"),
    _c("hyphen-lone-fragment", _W, "pdf-check", "a line holds only a hyphenated fragment",
       "set hyphenate-limit-chars so short fragments do not break off"),
    _c("hyphenation-share", _W, "pdf-check", "too many body lines end in a hyphen (over 10 %)",
       "limit hyphenation: hyphenate-limit-chars, a wider measure or a smaller size"),
    _c("hyphen-ladder", _W, "pdf-check", "three or more consecutive lines end in a hyphen",
       "rewrite a line or loosen the paragraph"),
    _c("text-off-page", _E, "pdf-check", "text runs off the page and is cut",
       "break long lines (overflow-wrap: anywhere; pre-wrap for code)"),
    _c("text-overflow", _W, "pdf-check", "a line runs past the text block",
       "break it: overflow-wrap for URLs, pre-wrap or a smaller size for code"),
    _c("rule-overflow", _W, "pdf-check", "a rule or border runs past the text block",
       "set tables and boxes to width: 100% and table-layout: fixed"),
    _c("note-twice", _E, "pdf-check", "a footnote is printed twice on one page",
       "report it as a rendering bug"),
    _c("note-astray", _W, "pdf-check", "a footnote has no call on its page",
       "keep the call's line with its note, or shorten the note"),
    _c("page-blank", _W, "pdf-check", "a page is blank where no blank belongs",
       "check break-before and the section before it"),
    _c("page-placeholder-only", _W, "pdf-check", "a page holds only an image placeholder",
       "supply the image or drop the reference"),
    _c("heading-stranded", _W, "pdf-check", "a page ends with a heading and nothing after it",
       "keep headings with what follows (break-after: avoid)"),
    _c("chapter-on-verso", _E, "pdf-check", "a chapter opens on a verso in a recto-opening edition",
       "check break-before: right"),
    _c("print-no-trim", _EW, "pdf-check",
       "pages have no /TrimBox (an error in a file claiming PDF/X)",
       "set bleed in @page so the trim box is written"),
    _c("print-trim-size", _E, "pdf-check", "pages differ from the book's trim size",
       "every interior page must have the same trim"),
    _c("print-bleed", _W, "pdf-check", "the bleed is less than 0.125 in",
       "set @page { bleed: 0.125in } for art that runs to the edge"),
    _c("print-pdfx", _E, "pdf-check",
       "a PDF/X claim without its output intent, or an image colour space PDF/X forbids",
       "set @color-profile and the PDF/X variant, or convert the image"),
    # --- epub-check ---------------------------------------------------------------------------
    _c("epubcheck", _EW, "epub-check",
       "EPUBCheck ran but gave no report (a crash, a timeout), or gave a message without an id",
       "run EPUBCheck by hand to see why"),
    CodeInfo("", _EW, ("epub-check",),
             "an EPUBCheck message (FATAL and ERROR are errors, WARNING a warning); the code "
             "is EPUBCheck's own id, e.g. RSC-005, OPF-096",
             "see the EPUBCheck message list for the id", family=True,
             pattern="<EPUBCheck id>"),
    _c("ace", _E, "epub-check", "Ace by DAISY ran but gave no report",
       "run ace-cli by hand to see why"),
    _c("ace-missing", _W, "epub-check",
       "Ace by DAISY cannot run (not installed, or Node.js or Chromium missing): the build's "
       "accessibility check is skipped",
       "make ace (needs npm and chromium), or set HANDBOOK_ACE"),
    CodeInfo("ace:", _EW, ("epub-check",),
             "an Ace by DAISY violation (serious and critical are errors), e.g. "
             "ace:heading-order",
             "see https://kb.daisy.org/publishing/ for the rule", family=True,
             pattern="ace:<rule>"),
    CodeInfo("", _EW, ("check",),
             "a plain warning a stage logged while check ran; the code is the logging "
             "module's name (fetch, math_svg)",
             "read the message", family=True, pattern="<module>"),
)


def find(code: str) -> CodeInfo | None:
    """The entry of ``code``: its own, else the family whose prefix it has (longest first)."""
    for info in CODES:
        if not info.family and info.code == code:
            return info
    prefixed = [info for info in CODES if info.family and info.code and code.startswith(info.code)]
    return max(prefixed, key=lambda info: len(info.code), default=None)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """docs/diagnostics.md: one table per stage, codes in catalogue order."""
    lines = [
        "# Diagnostic codes",
        "",
        "Every message reads `path:line:col: error|warning: message; hint [code]`. This page "
        "lists every code,",
        "by the stage that emits it. Generated from `src/handbook_build/diagnostic_codes.py` "
        "by `make diagnostics-doc`;",
        "do not edit it by hand (a test compares the two). One code in a terminal:",
        "`python -m handbook_build.diagnostic_codes CODE`.",
        "",
        f"{sum(1 for c in CODES if not c.family)} codes and "
        f"{sum(1 for c in CODES if c.family)} families. A code listed under several stages "
        "is emitted by each; its table is that of the first.",
    ]
    for stage, title in STAGES:
        entries = [info for info in CODES if info.stage == stage]
        if not entries:
            continue
        lines += ["", f"## {title}", "", "| code | severity | meaning | how to fix |",
                  "|---|---|---|---|"]
        for info in entries:
            also = info.stages[1:]
            where = f" (also: {', '.join(also)})" if also else ""
            lines.append(f"| `{_cell(info.shown)}` | {' or '.join(info.severities)} | "
                         f"{_cell(info.meaning)}{where} | {_cell(info.hint)} |")
    return "\n".join(lines) + "\n"


def explain(code: str) -> str | None:
    """``code``'s entry as a few lines for a terminal, or None when it is not catalogued."""
    info = find(code)
    if info is None:
        return None
    titles = dict(STAGES)
    lines = [f"{code}: {' or '.join(info.severities)}" + (f" (family {info.pattern})"
                                                          if info.family else ""),
             f"  meaning: {info.meaning}", f"  fix:     {info.hint}",
             "  stage:   " + "; ".join(titles[stage] for stage in info.stages)]
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> int:
    """No argument: docs/diagnostics.md on stdout. ``CODE``: what that code means."""
    import sys

    if not arguments:
        sys.stdout.write(render_markdown())
        return 0
    text = explain(arguments[0])
    if text is None:
        sys.stderr.write(f"{arguments[0]}: no such diagnostic code; see docs/diagnostics.md\n")
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
