"""``[identifiers]``: each edition's ISBN or urn:uuid, valid and not shared with another edition."""

from __future__ import annotations

import re
import uuid

from handbook_build.sources.manifest.toml_reader import SCHEMA, Reader


def read_identifiers(reader: Reader) -> dict[str, str]:
    identifiers = {key: reader.text("identifiers", key) for key in SCHEMA["identifiers"]}
    identifiers = {key: value for key, value in identifiers.items() if value}
    for key, value in identifiers.items():
        if _identifier_key(value) is None:
            reader.error(("identifiers", key), f"identifiers.{key} {value!r} is neither an ISBN "
                         "nor a urn:uuid", 'write "978-..." (with a valid check digit) or '
                         '"urn:uuid:" followed by a UUID', code="bad-identifier")
    seen: dict[str, str] = {}
    for key, value in identifiers.items():
        normal = _identifier_key(value) or value
        if normal in seen:
            reader.error(("identifiers", key), f"identifiers.{key} is the same as "
                         f"identifiers.{seen[normal]} ({value})",
                         "each edition needs its own ISBN or UUID", code="identifier-collision")
        seen.setdefault(normal, key)
    return identifiers


def _identifier_key(value: str) -> str | None:
    """A canonical form of an ISBN or urn:uuid (to compare them), or None if it is neither."""
    lowered = value.strip().lower()
    if lowered.startswith("urn:uuid:"):
        try:
            return f"urn:uuid:{uuid.UUID(lowered.removeprefix('urn:uuid:'))}"
        except ValueError:
            return None
    digits = re.sub(r"[\s-]", "", lowered.removeprefix("urn:isbn:").removeprefix("isbn"))
    digits = digits.lstrip(":")
    return f"isbn:{digits}" if _is_isbn(digits) else None


def _is_isbn(digits: str) -> bool:
    if re.fullmatch(r"97[89]\d{10}", digits):
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
        return total % 10 == 0
    if re.fullmatch(r"\d{9}[\dx]", digits):
        values = [10 if d == "x" else int(d) for d in digits]
        return sum(v * (10 - i) for i, v in enumerate(values)) % 11 == 0
    return False
