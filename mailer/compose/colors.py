"""Colour checks for the brand palette: WCAG 2 relative luminance and contrast ratio.

Brand colours come from configuration, so a badly chosen pair (white on a
pale brand colour) is caught when the edition renders, not by a reader.
"""

from __future__ import annotations

import re

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

#: The fixed part of the palette (see templates/email/partials/_styles.css).
TEXT = "#1f2933"
MUTED = "#4b5563"
CARD = "#ffffff"
PAGE = "#f3f4f6"
#: WCAG 2.x level AA for body text.
AA = 4.5


def is_hex_colour(value: str) -> bool:
    return bool(_HEX.match(value or ""))


def _rgb(value: str) -> tuple[int, int, int]:
    if not is_hex_colour(value):
        raise ValueError(f"{value!r} is not a #rgb or #rrggbb colour")
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def luminance(value: str) -> float:
    """Relative luminance as WCAG 2 defines it (sRGB, linearised)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours, from 1.0 to 21.0."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
