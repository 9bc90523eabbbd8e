"""EPUB packaging, metadata: the manifest's ``Metadata`` -> OPF metadata on an ebooklib book.

ebooklib writes what it is given: no language unless set (RSC-005), a random identifier unless
set, and ``dcterms:modified`` from the clock unless ``write_epub`` gets ``mtime`` (the caller
passes ``Metadata.timestamp``, the manifest date). The accessibility metadata states what was
counted in the book as built (see ``accessibility_metadata``), never a fixed claim.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from handbook_build.model import Metadata

_ISBN = re.compile(r"^(?:ISBN[:\s]*)?([0-9][0-9 -]{8,15}[0-9Xx])$")
# A stable namespace for identifiers derived from title + edition (uuid5 of this project's URN).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:handbook-build:epub-identifier")


@dataclass(frozen=True, slots=True)
class Accessibility:
    """What a reader can rely on; every field is counted in the book actually produced."""

    has_images: bool  # any image, the cover included: accessMode visual
    has_footnotes: bool
    has_animation: bool = False  # a moving image: flashing cannot be ruled out
    images: int = 0  # images of the text (the cover not counted)
    described: int = 0  # of those, with an alt text that says something (see alt_text)
    placeholders: int = 0  # images that could not be included: a text stands in
    has_mathml: bool = False
    page_list: bool = False  # a page list from the print edition
    print_identifier: str = ""  # the print edition the page list follows

    @property
    def all_described(self) -> bool:
        return self.described == self.images


# Roles in "Name (role)" of [book] contributors -> MARC relator codes (EPUB role metadata).
ROLES = {"author": "aut", "editor": "edt", "editors": "edt", "illustrator": "ill",
         "illustrations": "ill", "translator": "trl", "translation": "trl",
         "photographer": "pht", "photographs": "pht", "designer": "dsr", "cover": "cov",
         "cover designer": "cov", "foreword": "aui", "introduction": "aui",
         "contributor": "ctb", "compiler": "com", "narrator": "nrt", "publisher": "pbl"}
_ROLE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\((?P<role>[^()]+)\)\s*$")
# Words that make a name a group, sorted as written rather than "Surname, Given names".
_GROUP_WORDS = re.compile(r"\b(team|project|contributors|press|group|society|university|"
                          r"institute|foundation|inc|ltd|the|and|of)\b", re.I)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    roles: tuple[str, ...]  # MARC relator codes, the first one the main role
    file_as: str
    creator: bool  # dc:creator (an author) rather than dc:contributor


def split_role(entry: str) -> tuple[str, str]:
    """"Jane Doe (editor)" -> ("Jane Doe", "edt"); an unknown or missing role -> "ctb"."""
    match = _ROLE_SUFFIX.match(entry)
    if match is None:
        return entry.strip(), "ctb"
    role = ROLES.get(match.group("role").strip().lower())
    return (match.group("name").strip(), role) if role else (entry.strip(), "ctb")


def file_as(name: str) -> str:
    """The sort name: "Lisa Snow MacDonald" -> "MacDonald, Lisa Snow"; groups as written."""
    words = name.split()
    if len(words) < 2 or _GROUP_WORDS.search(name) or not all(w[:1].isupper() for w in words):
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def people(metadata: Metadata) -> list[Person]:
    """Authors (aut, plus every other role the contributors list gives them), then the other
    contributors with their roles: an author who is also an editor is one creator, aut+edt."""
    roles: dict[str, list[str]] = {}
    for name in metadata.authors:
        roles.setdefault(name.strip(), ["aut"])
    for entry in metadata.contributors:
        name, role = split_role(entry)
        held = roles.setdefault(name, [])
        if role not in held:
            held.append(role)
    authors = {name.strip() for name in metadata.authors}
    return [Person(name, tuple(held), file_as(name), name in authors)
            for name, held in roles.items()]


def epub_identifier(metadata: Metadata, edition: str = "epub") -> str:
    """``identifiers[edition]`` (a bare ISBN becomes ``urn:isbn:…``), else a uuid5 of
    title + edition: stable from build to build, different between editions."""
    given = metadata.identifiers.get(edition, "").strip()
    if given:
        match = _ISBN.match(given)
        digits = re.sub(r"[^0-9Xx]", "", match.group(1)) if match else ""
        return f"urn:isbn:{digits.upper()}" if len(digits) in (10, 13) else given
    parts = (metadata.title, metadata.edition) if edition == "epub" else (
        metadata.title, metadata.edition, edition)
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, chr(0x1f).join(parts))}"


def _meta(book: Any, value: str, **attributes: str) -> None:
    # ebooklib keys attributes by their XML names; "refines"/"property" are plain identifiers.
    book.add_metadata(None, "meta", value, dict(attributes))


def _add_titles(book: Any, metadata: Metadata) -> None:
    book.title = metadata.title  # ebooklib uses it for the NCX docTitle
    book.add_metadata("DC", "title", metadata.title, {"id": "title"})
    if metadata.subtitle:
        book.add_metadata("DC", "title", metadata.subtitle, {"id": "subtitle"})
        _meta(book, "main", refines="#title", property="title-type")
        _meta(book, "subtitle", refines="#subtitle", property="title-type")
        _meta(book, "1", refines="#title", property="display-seq")
        _meta(book, "2", refines="#subtitle", property="display-seq")


def _add_people(book: Any, metadata: Metadata) -> None:
    creators = contributors = 0
    for person in people(metadata):
        if person.creator:
            creators += 1
            element, person_id = "creator", f"creator-{creators}"
        else:
            contributors += 1
            element, person_id = "contributor", f"contributor-{contributors}"
        book.add_metadata("DC", element, person.name, {"id": person_id})
        for role in person.roles:
            _meta(book, role, refines=f"#{person_id}", property="role", scheme="marc:relators")
        _meta(book, person.file_as, refines=f"#{person_id}", property="file-as")


def _add_publication(book: Any, metadata: Metadata) -> None:
    book.add_metadata("DC", "date", metadata.date.isoformat())
    for namespace, name, value in (("DC", "publisher", metadata.publisher),
                                   ("DC", "rights", metadata.license),
                                   ("DC", "description", metadata.description)):
        if value:
            book.add_metadata(namespace, name, value)
    for keyword in metadata.keywords:
        book.add_metadata("DC", "subject", keyword)
    if metadata.edition:
        _meta(book, metadata.edition, property="schema:bookEdition")
    if metadata.series:
        _meta(book, metadata.series, property="belongs-to-collection", id="series")
        _meta(book, "series", refines="#series", property="collection-type")
        if metadata.series_position:
            _meta(book, metadata.series_position, refines="#series", property="group-position")


def _images_sentence(facts: Accessibility) -> str:
    if not facts.images:
        return "It has no images apart from the cover, which has a text alternative. "
    if facts.all_described:
        text = (f"Each of its {facts.images} images has a text alternative"
                if facts.images > 1 else "Its one image has a text alternative")
    else:
        missing = facts.images - facts.described
        text = (f"{missing} of its {facts.images} images have no meaningful text alternative "
                "(their alt text is empty, a file name or a word such as \"image\"); "
                f"{facts.described} are described")
    placeholders = (f"; {facts.placeholders} images that could not be included are replaced "
                    "by a short text" if facts.placeholders else "")
    return f"{text}{placeholders}. "


def accessibility_summary(facts: Accessibility) -> str:
    notes = "Footnotes are linked to and from their references. " if facts.has_footnotes else ""
    math = "Mathematics is given as MathML. " if facts.has_mathml else ""
    pages = ("A page list gives the page numbers of the print edition. "
             if facts.page_list else "")
    hazards = ("It contains animated images that have not been checked for flashing; it has "
               "no sound." if facts.has_animation else
               "It contains no flashing, motion or sound.")
    return ("This publication is reflowable: readers can change fonts, sizes and colours. "
            "It has a navigable table of contents, headings for every part, chapter and section, "
            f"and a reading order that follows the printed contents. {_images_sentence(facts)}"
            f"{math}{notes}{pages}{hazards}")


def _hazards(facts: Accessibility) -> list[str]:
    if facts.has_animation:  # we cannot tell whether an animation flashes: say so
        return ["unknownFlashingHazard", "unknownMotionSimulationHazard", "noSoundHazard"]
    return ["none"]


def accessibility_metadata(facts: Accessibility) -> list[tuple[str, str]]:
    """(schema.org property, value) pairs, each decided from ``facts``: structure and
    navigation are generated for every book; "alternativeText", and reading the book by text
    alone, only when every image of the text has a meaningful alt text."""
    modes = ["textual", *(["visual"] if facts.has_images else [])]
    sufficient = ["textual,visual"] if facts.has_images else []
    if facts.all_described:  # an image without a description needs sight
        sufficient.insert(0, "textual")
    features = ["tableOfContents", "readingOrder", "structuralNavigation", "ARIA",
                "displayTransformability",
                *(["alternativeText"] if facts.images and facts.all_described else []),
                *(["MathML"] if facts.has_mathml else []),
                *(["pageBreakMarkers", "pageNavigation"] if facts.page_list else [])]
    return ([("schema:accessMode", mode) for mode in modes]
            + [("schema:accessModeSufficient", value) for value in sufficient]
            + [("schema:accessibilityFeature", feature) for feature in features]
            + [("schema:accessibilityHazard", hazard) for hazard in _hazards(facts)]
            + [("schema:accessibilitySummary", accessibility_summary(facts))])


def apply_metadata(book: Any, metadata: Metadata, facts: Accessibility) -> str:
    """Write every metadata field into ``book``; returns the identifier used."""
    identifier = epub_identifier(metadata)
    book.set_identifier(identifier)
    book.set_language(metadata.language)
    _add_titles(book, metadata)
    _add_people(book, metadata)
    _add_publication(book, metadata)
    for name, value in accessibility_metadata(facts):
        _meta(book, value, property=name)
    if facts.page_list and facts.print_identifier:
        _meta(book, facts.print_identifier, property="pageBreakSource")
    return identifier
