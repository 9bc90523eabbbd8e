"""EPUB packaging, metadata: the manifest's ``Metadata`` -> OPF metadata on an ebooklib book.

ebooklib writes what it is given: no language unless set (RSC-005), a random identifier unless
set, and ``dcterms:modified`` from the clock unless ``write_epub`` gets ``mtime`` (the caller
passes ``Metadata.timestamp``). The accessibility metadata states only what this renderer
guarantees for every book it produces (see ``accessibility_metadata``).
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
    """What a reader can rely on; every flag is decided from the book actually produced."""

    has_images: bool  # any image, the cover included: accessMode visual
    has_footnotes: bool
    has_animation: bool = False  # a moving image: flashing cannot be ruled out


def epub_identifier(metadata: Metadata) -> str:
    """``identifiers["epub"]`` (a bare ISBN becomes ``urn:isbn:…``), else a uuid5 of
    title + edition: stable from build to build, different between editions."""
    given = metadata.identifiers.get("epub", "").strip()
    if given:
        match = _ISBN.match(given)
        digits = re.sub(r"[^0-9Xx]", "", match.group(1)) if match else ""
        return f"urn:isbn:{digits.upper()}" if len(digits) in (10, 13) else given
    name = "\x1f".join((metadata.title, metadata.edition))
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, name)}"


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
    for index, name in enumerate(metadata.authors, start=1):
        book.add_metadata("DC", "creator", name, {"id": f"creator-{index}"})
        _meta(book, "aut", refines=f"#creator-{index}", property="role", scheme="marc:relators")
    for index, name in enumerate(metadata.contributors, start=1):
        book.add_metadata("DC", "contributor", name, {"id": f"contributor-{index}"})
        _meta(book, "ctb", refines=f"#contributor-{index}", property="role",
              scheme="marc:relators")


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


def accessibility_summary(facts: Accessibility) -> str:
    images = ("Every image has a text alternative; images that could not be included are "
              "replaced by a text description. " if facts.has_images else "")
    notes = "Footnotes are linked to and from their references. " if facts.has_footnotes else ""
    hazards = ("It contains animated images that have not been checked for flashing; it has "
               "no sound." if facts.has_animation else
               "It contains no flashing, motion or sound.")
    return ("This publication is reflowable: readers can change fonts, sizes and colours. "
            "It has a navigable table of contents, headings for every part, chapter and section, "
            f"and a reading order that follows the printed contents. {images}{notes}{hazards}")


def _hazards(facts: Accessibility) -> list[str]:
    if facts.has_animation:  # we cannot tell whether an animation flashes: say so
        return ["unknownFlashingHazard", "unknownMotionSimulationHazard", "noSoundHazard"]
    return ["none"]


def accessibility_metadata(facts: Accessibility) -> list[tuple[str, str]]:
    """(schema.org property, value) pairs. Claimed: structure and navigation are generated for
    every book; alt text is enforced by the image pass; styles set no page geometry."""
    modes = ["textual", *(["visual"] if facts.has_images else [])]
    sufficient = ["textual", *(["textual,visual"] if facts.has_images else [])]
    features = ["tableOfContents", "readingOrder", "structuralNavigation", "ARIA",
                "displayTransformability",
                *(["alternativeText"] if facts.has_images else [])]
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
    return identifier
