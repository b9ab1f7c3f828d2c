"""How many SMS segments a text costs: GSM 03.38 texts fit 160 characters (153 per part when
split); anything outside that alphabet forces UCS-2, 70 characters (67 per part)."""

from __future__ import annotations

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")  # each costs two septets (escape + char)


def count_segments(text: str) -> tuple[str, int]:
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        septets = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        return "GSM-7", 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2  # an emoji is two UTF-16 units
    return "UCS-2", 1 if units <= 70 else -(-units // 67)
