"""HTTP content negotiation: parse an Accept header with quality values and pick an offered type.

`negotiate(accept, offered)` returns the offered media type the client prefers, or None (406).
Rules (RFC 9110 §12.5.1): a range's quality comes from its most specific match (`type/subtype`
beats `type/*` beats `*/*`); `q=0` excludes; between equal qualities the more specific range
wins, then the server's order of `offered`. A missing or empty header accepts anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    quality: float
    params: tuple[tuple[str, str], ...] = ()

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 2 + (1 if self.params else 0)

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return (self.type == "*" or self.type == main) and (
            self.subtype == "*" or self.subtype == sub
        )


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, best first; malformed parts are skipped."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges: list[MediaRange] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        kind = pieces[0].lower()
        if "/" not in kind:
            if kind == "*":  # some clients send a bare "*"
                kind = "*/*"
            else:
                continue
        main, _, sub = kind.partition("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        quality, params = 1.0, []
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    quality = min(1.0, max(0.0, float(value)))
                except ValueError:
                    quality = 0.0
            elif name:
                params.append((name, value))
        ranges.append(MediaRange(main, sub, quality, tuple(params)))
    ranges.sort(key=lambda r: (-r.quality, -r.specificity))
    return ranges


def quality_of(media_type: str, ranges: Sequence[MediaRange]) -> tuple[float, int]:
    """(quality, specificity) the client gives `media_type`: from its most specific matching range."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(media_type) and (best is None or r.specificity > best.specificity):
            best = r
    return (0.0, -1) if best is None else (best.quality, best.specificity)


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers; None when it accepts none of them."""
    ranges = parse_accept(accept)
    best, best_key = None, (0.0, -1)
    for media_type in offered:
        key = quality_of(media_type.lower(), ranges)
        if key[0] > 0 and key > best_key:
            best, best_key = media_type, key
    return best


def accepts_explicitly(accept: str | None, media_type: str) -> bool:
    """Whether the client names `media_type` (not just a wildcard) with a quality above 0."""
    quality, specificity = quality_of(media_type, parse_accept(accept))
    return quality > 0 and specificity >= 2
