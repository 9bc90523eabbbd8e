"""JPEG bytes inside a PDF: the filters applied before DCTDecode undone, and the frame header's
size and component count."""

from __future__ import annotations

import zlib

# JPEG markers C0-CF are start-of-frame except DHT (C4), JPG (C8) and DAC (CC).
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def undo_general_filters(data: bytes, filters: list[str]) -> bytes:
    """``data`` with the filters applied before DCTDecode undone (qpdf will only decode a
    chain it can finish, and it cannot finish a JPEG)."""
    import base64
    import binascii

    for name in filters:
        if name == "FlateDecode":
            data = zlib.decompressobj().decompress(data)
        elif name == "ASCII85Decode":
            data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
        elif name == "ASCIIHexDecode":
            data = binascii.unhexlify(b"".join(data.split()).removesuffix(b">"))
        else:
            raise ValueError(f"{name} before DCTDecode")
    return data


def jpeg_frame(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, components) from the first SOF marker, or None."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers, no length
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker in SOF_MARKERS:
            if at + 10 > len(data):
                return None
            height = int.from_bytes(data[at + 5:at + 7], "big")
            width = int.from_bytes(data[at + 7:at + 9], "big")
            return width, height, data[at + 9]
        if marker == 0xDA:  # start of scan before any frame: not a JPEG we can read
            return None
        at += 2 + length
    return None
