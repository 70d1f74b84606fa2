"""Text analysis shared by the index writer and the searcher: one folding, one tokenisation.

Every text, indexed or typed, is *folded* the same way: Unicode NFKC (full-width ＳＬＥ is SLE),
Traditional to Simplified Chinese (OpenCC's `t2s`: 系統性紅斑狼瘡 is 系统性红斑狼疮), lower case,
one space between words. Then it splits into runs of Han characters (indexed as 1–2 character
n-grams, looked up as bigrams) and Latin words (stemmed English, through tantivy's analyzers).
Names of entities also get their pinyin (pypinyin, at build time only): a query of Latin letters
that splits into pinyin syllables (`hongban langchuang`) is also looked up as a pinyin phrase.
"""

from __future__ import annotations

import functools
import html
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import opencc

# CJK Unified Ideographs (+ extension A and compatibility ideographs), as folded text has them.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A word of the English analyzer: letters and digits outside Han (tantivy's `simple` tokenizer).
WORD = re.compile(r"[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
PINYIN_WORD = re.compile(r"^[a-z]+$")  # ü is typed v (lv, nv), as pypinyin writes it
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
SNIPPET_CHARS = 160

_t2s = opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """NFKC, Traditional → Simplified, lower case, single spaces (what is indexed and searched)."""
    folded = _t2s.convert(unicodedata.normalize("NFKC", text)).lower()
    return " ".join(folded.split())


def han_runs(folded: str) -> list[str]:
    return HAN.findall(folded)


def without_han(folded: str) -> str:
    """The text with its Han runs blanked out: what the English analyzers see."""
    return HAN.sub(" ", folded)


def words(folded: str) -> list[str]:
    return WORD.findall(without_han(folded))


def bigrams(run: str) -> list[str]:
    """How a Han run is looked up: its bigrams (a single character as itself)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@functools.lru_cache(maxsize=65536)
def pinyin(run: str) -> tuple[tuple[str, ...], ...]:
    """Every toneless pinyin reading of each character of a Han run (重 is zhong and chong), so
    that any reading of a name matches without guessing which one the context wants; () for a
    character pypinyin does not know. Imported on first use: only the index writer needs it,
    and without pypinyin's phrase dictionary (every reading is kept, so it would add nothing
    but 0.15 s of loading)."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    from pypinyin import Style
    from pypinyin import pinyin as readings

    out = []
    for char in run:
        found = readings(char, style=Style.NORMAL, heteronym=True, errors=lambda _c: [])
        out.append(tuple(dict.fromkeys(r for r in (found[0] if found else ()) if r)))
    return tuple(out)


def split_pinyin(
    text: str, syllables: frozenset[str], last_is_prefix: bool = False
) -> list[str] | None:
    """`hongban langchuang` → [hong, ban, lang, chuang] with the index's syllables, fewest
    syllables first; None if a word is not all pinyin. With `last_is_prefix`, the last piece may
    be the start of a syllable (typing `hongb`)."""
    out: list[str] = []
    pieces = text.split()
    for n, piece in enumerate(pieces):
        if not PINYIN_WORD.match(piece):
            return None
        found = _segment(piece, syllables, last_is_prefix and n == len(pieces) - 1)
        if found is None:
            return None
        out += found
    return out or None


def _segment(word: str, syllables: frozenset[str], prefix_end: bool) -> list[str] | None:
    # best[i]: the fewest syllables covering word[:i]
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for i in range(len(word)):
        if best[i] is None:
            continue
        for j in range(i + 1, min(len(word), i + 6) + 1):
            piece = word[i:j]
            is_last = j == len(word)
            if piece in syllables or (
                prefix_end and is_last and any(s.startswith(piece) for s in syllables)
            ):
                candidate = [*best[i], piece]
                if best[j] is None or len(candidate) < len(best[j]):
                    best[j] = candidate
    return best[len(word)]


# ---------------------------------------------------------------------------------------------
# Marking the match in a text


@dataclass(frozen=True)
class Terms:
    """What a query looks for, as marking needs it: folded Han strings, English stems, pinyin
    syllables (the last one possibly a prefix), and a folded prefix (type-ahead)."""

    han: tuple[str, ...] = ()
    stems: frozenset[str] = frozenset()
    pinyin: tuple[str, ...] = ()
    pinyin_prefix: bool = False
    prefix: str = ""


def spans(
    text: str,
    terms: Terms,
    stem: Stemmer,
    readings: Sequence[Sequence[str]] = (),
) -> list[tuple[int, int]]:
    """Character spans of `text` that match `terms`, merged and in order."""
    folded = fold_aligned(text)
    found: list[tuple[int, int]] = []
    if terms.prefix:
        at = _word_start(folded, terms.prefix)
        if at is not None:
            found.append((at, at + len(terms.prefix)))
    for han in terms.han:
        start = folded.find(han)
        while start != -1:
            found.append((start, start + len(han)))
            start = folded.find(han, start + 1)
    if terms.stems:
        hints = {s[: max(3, len(s) - 2)] for s in terms.stems}
        if any(h in folded for h in hints):
            for m in WORD.finditer(folded):
                if stem(m.group()) in terms.stems:
                    found.append(m.span())
    if terms.pinyin and readings:
        found += _pinyin_spans(terms, readings)
    return _merge(found)


def fold_aligned(text: str) -> str:
    """`fold` character by character, so that positions in the result are positions in `text`
    (whole-text folding keeps the length for nearly every text; the others fold per character)."""
    folded = _t2s.convert(unicodedata.normalize("NFKC", text)).lower()
    if len(folded) == len(text):
        return folded
    out = []
    for char in text:
        one = _t2s.convert(unicodedata.normalize("NFKC", char)).lower()
        out.append(one if len(one) == 1 else char)
    return "".join(out)


def _word_start(folded: str, prefix: str) -> int | None:
    at = folded.find(prefix)
    while at != -1:
        if at == 0 or not folded[at - 1].isalnum() or HAN.match(prefix[0]):
            return at
        at = folded.find(prefix, at + 1)
    return None


def _pinyin_spans(terms: Terms, readings: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """Spans of characters whose readings (per character of the text, [] for others) follow
    the query's syllables in order (the last one may be a prefix)."""
    wanted, n = terms.pinyin, len(terms.pinyin)
    out = []
    for i in range(len(readings) - n + 1):
        window = readings[i : i + n]
        if all(wanted[k] in window[k] for k in range(n - 1)) and (
            wanted[-1] in window[-1]
            or (terms.pinyin_prefix and any(r.startswith(wanted[-1]) for r in window[-1]))
        ):
            out.append((i, i + n))
    return out


def _merge(found: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, found: list[tuple[int, int]], limit: int = SNIPPET_CHARS) -> str:
    """HTML of `text` with each span in <mark>…</mark>, cut to about `limit` characters around
    the first span (… where cut); everything else escaped."""
    start, end = 0, len(text)
    if len(text) > limit:
        first = found[0][0] if found else 0
        start = max(0, min(first - limit // 4, len(text) - limit))
        end = start + limit
    out, at = [], start
    for s, e in found:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out += [html.escape(text[at:s]), MARK_OPEN, html.escape(text[s:e]), MARK_CLOSE]
        at = e
    out.append(html.escape(text[at:end]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


class Stemmer:
    """One English word → its stem, as the index's English analyzer makes it (memoised in a
    dict, which the threads of a worker may share)."""

    def __init__(self, analyze):  # noqa: ANN001 - tantivy.TextAnalyzer.analyze
        self._analyze = analyze
        self._memo: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._memo.get(word)
        if stem is None:
            tokens = self._analyze(word)
            stem = tokens[0] if tokens else word
            if len(self._memo) < 100_000:
                self._memo[word] = stem
        return stem
