"""PDF numbers and strings as WeasyPrint writes them (integers bare, other numbers to four
places), for the objects the merge writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["pdf_number", "pdf_numbers", "pdf_string"]


def pdf_number(value: float) -> Any:
    from pypdf.generic import FloatObject, NumberObject

    if float(value).is_integer():
        return NumberObject(int(value))
    return FloatObject(round(value, 4))


def pdf_numbers(values: Iterable[float]) -> Any:
    from pypdf.generic import ArrayObject

    return ArrayObject(pdf_number(value) for value in values)


def pdf_string(text: str) -> Any:
    from pypdf.generic import TextStringObject

    return TextStringObject(text)
