"""The catalogue of diagnostic codes is complete, has no stale entry, and docs/diagnostics.md is
rendered from it (issue 12). The source is read, not run: tests/code_scan.py."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import code_scan
from handbook_build import diagnostic_codes
from handbook_build.diagnostic_codes import CODES, find

ROOT = Path(__file__).resolve().parent.parent

# Sites where the code is not a literal, each looked at: (module, expression) -> what it is.
# A family entry of the catalogue with an empty prefix names the pattern it stands for.
ACCEPTED_OPAQUE = {
    ("checks/check.py", "record.name.rsplit('.', 1)[-1]"): "<module>",  # a plain logged warning
    ("checks/check.py", "message.id"): "<EPUBCheck id>",  # EPUBCheck's own message id
    ("sources/includes.py", "error.code"): "",  # set where each _IncludeError is raised (scanned)
    ("sources/links/rewrite.py", "target.code"): "",  # set by Target(code=...) / unlink(...)
}
# ``Target``'s default ``code=""`` means "no diagnostic" (links/ reports only when set).
EMPTY_CODE_MODULES = {"sources/links/"}

# The stage packages (issue 12): a module's key keeps its stage folder.
STAGE_PACKAGES = ("sources", "html", "render", "checks")


def _module_key(module: str) -> str:
    """``sources/links/rewrite.py`` -> ``sources/links/``: a package counts as one module, inside
    its stage package (``sources/``, ``html/``, ``render/``, ``checks/``) or at the top level
    (``cli/``); a plain module is its own key (``sources/chapters.py``, ``editions.py``)."""
    parts = module.split("/")
    depth = 2 if parts[0] in STAGE_PACKAGES else 1
    return "/".join(parts[:depth]) + "/" if len(parts) > depth else module


@pytest.fixture(scope="module")
def scanned() -> tuple[list[code_scan.Site], list[code_scan.Opaque]]:
    return code_scan.scan()


def test_every_emitted_code_is_catalogued(scanned):
    sites, _ = scanned
    literal = {s.code for s in sites if not s.family and s.code}
    catalogued = {c.code for c in CODES if not c.family}
    missing = sorted(literal - catalogued)
    where = {code: [f"{s.module}:{s.line}" for s in sites if s.code == code] for code in missing}
    assert not missing, f"codes emitted but not in diagnostic_codes.CODES: {where}"


def test_every_catalogued_code_is_emitted(scanned):
    sites, _ = scanned
    literal = {s.code for s in sites if not s.family}
    stale = sorted(c.code for c in CODES if not c.family and c.code not in literal)
    assert not stale, f"catalogued but emitted nowhere: {stale}"


def test_families_match_the_source(scanned):
    sites, _ = scanned
    prefixes = {s.code for s in sites if s.family}
    catalogued = {c.code for c in CODES if c.family and c.code}
    assert prefixes == catalogued, "f-string code prefixes differ from the catalogue's families"
    patterns = {c.pattern for c in CODES if c.family and not c.code}
    assert patterns == {v for v in ACCEPTED_OPAQUE.values() if v}


def test_no_unreviewed_dynamic_code(scanned):
    _, opaque = scanned
    found = {(o.module, o.expression) for o in opaque}
    unknown = sorted(found - set(ACCEPTED_OPAQUE))
    assert not unknown, (f"codes the scan cannot read (catalogue them, then accept the site "
                         f"in ACCEPTED_OPAQUE): {unknown}")
    gone = sorted(set(ACCEPTED_OPAQUE) - found)
    assert not gone, f"accepted dynamic sites no longer in the source: {gone}"


def test_the_logged_warning_family_names_its_modules():
    """check turns a plain logged warning into a diagnostic coded by the module's name: the
    catalogue's ``<module>`` entry names every module that logs one."""
    modules = code_scan.logged_warning_modules()
    assert modules, "no module logs a plain warning: drop the <module> family"
    entry = next(c for c in CODES if c.pattern == "<module>")
    named = set(entry.meaning.split("(")[-1].rstrip(")").split(", "))
    assert named == modules


def test_empty_code_only_where_it_means_none(scanned):
    sites, _ = scanned
    assert {_module_key(s.module) for s in sites if not s.code} <= EMPTY_CODE_MODULES


def test_literal_severities_are_catalogued(scanned):
    sites, _ = scanned
    wrong = []
    for site in sites:
        info = find(site.code) if site.code else None
        if info is None or site.severity is None:
            continue
        for severity in site.severity.split("/"):
            if severity not in info.severities:
                wrong.append(f"{site.module}:{site.line} {site.code} is {severity}")
    assert not wrong


# The stages a module's codes may be catalogued under (check.py and editions.py also run the
# EPUB's validators).
MODULE_STAGES = {
    "checks/check.py": {"check", "epub-check"}, "sources/manifest/": {"manifest"},
    "sources/inputs.py": {"manifest"}, "sources/contents.py": {"contents"},
    "sources/structure.py": {"contents"}, "sources/chapters.py": {"chapters"},
    "sources/guard/": {"chapters"}, "sources/includes.py": {"chapters"},
    "sources/markdown_fix/": {"chapters"}, "sources/markdown_inert.py": {"chapters"},
    "sources/site_junk.py": {"chapters"}, "sources/citations.py": {"chapters"},
    "sources/xrefs/": {"chapters"}, "sources/images/": {"images"}, "sources/links/": {"links"},
    "checks/lint_rules.py": {"lint"}, "html/htmlbook.py": {"html"}, "html/html_ids.py": {"html"},
    "html/math_html.py": {"html"}, "output_guard.py": {"output"},
    "editions.py": {"editions", "epub-check"}, "render/paged_limits.py": {"editions"},
    "checks/pdfcheck.py": {"pdf-check"}, "checks/typeset_check/": {"pdf-check"},
}


def test_each_code_is_catalogued_under_the_stages_that_emit_it(scanned):
    sites, _ = scanned
    wrong = []
    for site in sites:
        info = find(site.code) if site.code else None
        if info is None:
            continue
        allowed = ({"ecosystem"} if site.module.startswith("sources/ecosystems/")
                   else MODULE_STAGES.get(_module_key(site.module)))
        assert allowed is not None, f"{site.module} emits codes: give it a stage here"
        if not allowed & set(info.stages):
            wrong.append(f"{site.module}:{site.line} {site.code}: {sorted(allowed)} not in "
                         f"{info.stages}")
    assert not wrong


def test_catalogue_is_well_formed():
    counts = Counter((c.code, c.pattern) for c in CODES)
    assert [key for key, n in counts.items() if n > 1] == []
    stages = {name for name, _ in diagnostic_codes.STAGES}
    for info in CODES:
        assert info.severities and set(info.severities) <= {"error", "warning"}
        assert set(info.stages) <= stages and info.meaning and info.hint, info
        assert not info.family or info.pattern, info


def test_find_resolves_codes_and_families():
    assert find("glued-heading") is not None and find("glued-heading").code == "glued-heading"
    assert find("ace:heading-order").pattern == "ace:<rule>"
    assert find("preflight-image-resolution").pattern == "preflight-<rule>"
    assert find("preflight").pattern == ""
    assert find("no-such-code-anywhere") is None


def test_docs_page_is_rendered_from_the_catalogue():
    committed = (ROOT / "docs" / "diagnostics.md").read_text("utf-8")
    assert committed == diagnostic_codes.render_markdown(), (
        "docs/diagnostics.md is stale: run make diagnostics-doc")


def test_one_code_is_explained_from_the_command_line(capsys):
    assert diagnostic_codes.main(["ace:heading-order"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ace:heading-order: error or warning (family ace:<rule>)\n")
    assert "kb.daisy.org" in out
    assert diagnostic_codes.main(["glued-heading"]) == 0
    assert "  fix:     put the heading on a line of its own" in capsys.readouterr().out
    assert diagnostic_codes.main(["no-such-code"]) == 2
    assert "no such diagnostic code" in capsys.readouterr().err
