"""handbook-build: release editions of a Markdown handbook (manuscript, PDF, EPUB 3, print PDF).

The tree shows the pipeline, one package per stage (each ``__init__.py`` says what it takes and
gives, and lists its modules)::

    sources/   book.toml + chapters -> Manifest -> Book       (reading and normalizing the book)
    html/      Book -> Manuscript (<stem>.md) -> HtmlBook      (one pandoc run, sanitized)
    render/    HtmlBook -> each edition's bytes                (HTML, EPUB, reading and print PDF)
    checks/    sources or built editions -> diagnostics        (check, preflight, validators)

The top level keeps what no single stage owns: what runs the stages (``pipeline.py``,
``editions.py``, ``cli/``, ``entry.py``, ``__main__.py``, ``watch.py``, ``serve.py``,
``release.py``, ``scaffold.py``, ``locate.py``, ``versions.py``, ``stopping.py``), the data every
stage passes on or reports with (``model.py``, ``errors.py``, ``diagnostic_codes/``,
``display.py``), the cache and the output every stage writes through (``cache.py``,
``cache_entry.py``, ``stat_digests.py``, ``output.py``, ``output_guard.py``), and
``portable.py`` (the portable ``.md``/``.html`` copies the editions, the pipeline and the
release share).
"""

__version__ = "0.1.0"
