"""How many SMS segments a text costs: GSM 03.38 texts fit 160 characters (153 per part when
split); anything outside that alphabet forces UCS-2, 70 characters (67 per part)."""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")  # each costs two septets (escape + char)


@dataclass(frozen=True)
class TextCost:
    """What a text costs as one SMS, told the way a phone counts it."""

    characters: int  # septets in GSM-7 (€ counts two), UTF-16 units in UCS-2 (an emoji counts two)
    encoding: str
    segments: int
    forcing: str | None = None  # the first character outside the GSM alphabet, which makes the text UCS-2

    @property
    def forcing_code(self) -> str:
        """The forcing character's code point ("U+2013"), for one a reader cannot see (a no-break space)."""
        return f"U+{ord(self.forcing):04X}" if self.forcing else ""


def cost_of(text: str) -> TextCost:
    forcing = next((ch for ch in text if ch not in GSM_BASIC and ch not in GSM_EXTENDED), None)
    if forcing is None:
        septets = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        return TextCost(septets, "GSM-7", 1 if septets <= 160 else -(-septets // 153))
    units = len(text.encode("utf-16-le")) // 2
    return TextCost(units, "UCS-2", 1 if units <= 70 else -(-units // 67), forcing)


def count_segments(text: str) -> tuple[str, int]:
    cost = cost_of(text)
    return cost.encoding, cost.segments
