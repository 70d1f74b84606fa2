"""Searching a build's index: ranked hits with marked snippets, and type-ahead suggestions.

The text a user types is never parsed as tantivy query syntax: it is folded and tokenised by
kg.search.analysis and the query is built from its terms, so every character is just text.
Work is bounded by the input: at most MAX_TERMS words or Han runs, a few corrections each.

Ranking (BM25 throughout, × the entity's weight, see kg.search.index):
  - every word (and every Han run) must match, in some field;
  - a name match counts NAME_BOOST times a match in a definition or summary, a whole name
    equal to the query EXACT_BOOST more, a pinyin reading PINYIN_BOOST, a corrected typo
    TYPO_BOOST;
  - a query of Latin letters may be English or pinyin: either reading matches.
Suggestions look at names only, of things (not statements), in tiers: names that start with the
text, then names one of whose words does, then names that contain it (Chinese) or whose pinyin
starts with it; within a tier by BM25 × log2(2 + statements about the entity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tantivy import Occur, Query

from kg.search import analysis as an
from kg.search.index import MAX_PREFIX, SUGGESTED, _analyzers, open_index

NAME_BOOST = 3.0
EXACT_BOOST = 8.0
PINYIN_BOOST = 2.0
TYPO_BOOST = 0.6
MAX_TERMS = 16
MAX_CORRECTIONS = 3
MAX_SUGGESTIONS = 10
LANGS = ("en", "zh")


@dataclass
class Hit:
    iri: str
    label: str
    lang: str  # the language of `label`
    kinds: list[str]  # IRIs of its most specific classes
    snippet: str  # HTML: the best matching text, matches in <mark>
    matched: str  # that text, plain
    matched_lang: str
    score: float


@dataclass
class Results:
    total: int
    hits: list[Hit] = field(default_factory=list)


@dataclass
class _Plan:
    """Queries run in turn, each adding the entities the ones before did not find (type-ahead:
    names that start with the text, then names with a word that does, then the rest), and the
    terms to mark."""

    tiers: list[Query]
    terms: an.Terms


class SearchIndex:
    """One build's index, opened read-only and shared by the threads of a worker."""

    def __init__(self, build_dir: Path):
        self.build_dir = Path(build_dir).resolve()
        self.index, self.terms_index, self.meta = open_index(self.build_dir)
        self.schema = self.index.schema
        self.terms_schema = self.terms_index.schema
        analyzers = _analyzers()
        self._analyze_en = analyzers["kg_en"].analyze
        self._stem = an.Stemmer(analyzers["kg_stem"].analyze)
        self._searcher = self.index.searcher()
        self._terms = self.terms_index.searcher()
        self.syllables = frozenset(t for t, _ in self._searcher.terms_with_prefix("name_py", ""))

    @property
    def entities(self) -> int:
        return int(self.meta.get("entities", 0))

    # --- the two operations ------------------------------------------------------------------

    def search(
        self,
        text: str,
        lang: str | None = None,
        type_iri: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> Results:
        folded = an.fold(text)
        plan = self._search_plan(folded)
        if plan is None:
            return Results(0)
        return self._run(plan, _display_lang(lang, folded), type_iri, limit, offset, "weight")

    def suggest(
        self, text: str, lang: str | None = None, type_iri: str | None = None, limit: int = 10
    ) -> Results:
        folded = an.fold(text)
        plan = self._suggest_plan(folded)
        if plan is None:
            return Results(0)
        limit = min(limit, MAX_SUGGESTIONS)
        return self._run(plan, _display_lang(lang, folded), type_iri, limit, 0, "popularity")

    # --- building queries --------------------------------------------------------------------

    def _term(self, field_name: str, value: str, boost: float = 1.0) -> Query:
        query = Query.term_query(self.schema, field_name, value)
        return query if boost == 1.0 else Query.boost_query(query, boost)

    def _han(self, run: str, names_only: bool = False) -> Query:
        """A Han run in names (boosted) or texts: all its bigrams."""
        grams = an.bigrams(run)
        in_names = Query.boost_query(_all([self._term("name_zh", g) for g in grams]), NAME_BOOST)
        if names_only:
            return in_names
        return _any([in_names, _all([self._term("text_zh", g) for g in grams])])

    def _search_plan(self, folded: str) -> _Plan | None:
        runs = an.han_runs(folded)[:MAX_TERMS]
        latin = an.without_han(folded)
        must: list[Query] = [self._han(run) for run in runs]
        stems: set[str] = set()
        english: list[Query] | None = []  # None: some word matches nothing, even corrected
        for word in an.words(folded)[:MAX_TERMS]:
            alternatives = self._english_word(word, stems)
            if alternatives is None:  # a stop word
                continue
            if not alternatives:
                english = None
                break
            english.append(_any(alternatives))
        syllables = self._pinyin_reading(latin)
        readings = []
        if english:
            readings.append(_all(english))
        if syllables:
            readings.append(Query.boost_query(self._phrase("name_py", syllables), PINYIN_BOOST))
        if english is None and not syllables:
            return None
        if readings:
            must.append(_any(readings))
        if not must:
            return None
        clauses = [(Occur.Must, q) for q in must]
        clauses.append((Occur.Should, self._term("name_exact", folded, EXACT_BOOST)))
        terms = an.Terms(han=tuple(runs), stems=frozenset(stems), pinyin=tuple(syllables or ()))
        return _Plan([Query.boolean_query(clauses)], terms)

    def _english_word(self, word: str, stems: set[str]) -> list[Query] | None:
        """The ways one English word can match (its stems, or their corrections), in names or
        texts; None for a stop word, [] for a word that matches nothing."""
        tokens = self._analyze_en(word)
        if not tokens:
            return None
        alternatives = []
        for stem in tokens[:2]:
            found = self._searcher.doc_freq("name_en", stem) + self._searcher.doc_freq(
                "text_en", stem
            )
            if found:
                candidates = [(stem, 1.0)]
            else:
                candidates = [(c, TYPO_BOOST) for c in self._corrections(word, stem)]
            for term, boost in candidates:
                stems.add(term)
                alternatives.append(self._term("name_en", term, NAME_BOOST * boost))
                alternatives.append(self._term("text_en", term, boost))
        return alternatives

    def _pinyin_reading(self, latin: str) -> list[str] | None:
        syllables = an.split_pinyin(latin, self.syllables) if latin.strip() else None
        return syllables if syllables and len(syllables) >= 2 else None

    def _phrase(self, field_name: str, words: list[str]) -> Query:
        if len(words) == 1:
            return self._term(field_name, words[0])
        return Query.phrase_query(self.schema, field_name, words)

    def _corrections(self, word: str, stem: str) -> list[str]:
        """The most frequent indexed terms within a small edit distance of the word or its stem."""
        if len(word) < 4 or word.isdigit():
            return []
        distance = 1 if len(word) < 8 else 2
        queries = [
            Query.fuzzy_term_query(self.terms_schema, "term", w, distance=distance)
            for w in dict.fromkeys((word, stem))
        ]
        found = self._terms.search(
            _any(queries), MAX_CORRECTIONS, count=False, weight_by_field="df"
        )
        return [self._terms.doc(address)["term"][0] for _score, address in found.hits]

    def _suggest_plan(self, folded: str) -> _Plan | None:
        prefix = folded[:MAX_PREFIX].rstrip()
        if not prefix:
            return None
        tiers = [self._term("name_start", prefix), self._term("name_word", prefix)]
        alternatives = []
        runs = an.han_runs(folded)
        if runs and "".join(runs) == folded.replace(" ", ""):
            alternatives.append(self._han(folded.replace(" ", ""), names_only=True))
        syllables = an.split_pinyin(prefix, self.syllables, last_is_prefix=True)
        if syllables and (len(syllables) >= 2 or len(prefix) >= 3):  # `lu` is too many things
            alternatives.append(self._phrase_prefix(syllables))
        if alternatives:
            tiers.append(_any(alternatives))
        suggested = self._term("flags", SUGGESTED)
        tiers = [Query.boolean_query([(Occur.Must, suggested), (Occur.Must, t)]) for t in tiers]
        han = (folded.replace(" ", ""),) if runs else ()
        terms = an.Terms(han=han, prefix=prefix, pinyin=tuple(syllables or ()), pinyin_prefix=True)
        return _Plan(tiers, terms)

    def _phrase_prefix(self, syllables: list[str]) -> Query:
        if len(syllables) == 1:
            return Query.regex_query(self.schema, "name_py", _regex_prefix(syllables[0]))
        return Query.phrase_prefix_query(self.schema, "name_py", syllables)

    # --- running and showing -------------------------------------------------------------------

    def _run(
        self,
        plan: _Plan,
        lang: str,
        type_iri: str | None,
        limit: int,
        offset: int,
        prior: str,
    ) -> Results:
        """Run a plan's tiers until `limit` hits; `prior` is the fast field the scores are
        weighted by (suggestions, which look at names only, lean on popularity). The total
        counts the entities any tier finds."""
        tiers = plan.tiers
        if type_iri:
            kind = self._term("type", type_iri)
            tiers = [Query.boolean_query([(Occur.Must, t), (Occur.Must, kind)]) for t in tiers]
        searcher = self._searcher
        offset = min(offset, self.entities)  # tantivy collects offset + limit documents
        limit = min(limit, max(self.entities, 1))
        names_only = prior == "popularity"
        hits: list[Hit] = []
        seen: set[str] = set()
        total = None if len(tiers) > 1 else 0
        for tier in tiers:
            want = limit - len(hits) + len(seen)  # what earlier tiers found comes again
            found = searcher.search(
                tier, want, count=total == 0, offset=offset, weight_by_field=prior
            )
            total = found.count if total == 0 else total
            for score, address in found.hits:
                data = json.loads(searcher.doc(address)["data"][0])
                if data["iri"] not in seen and len(hits) < limit:
                    seen.add(data["iri"])
                    hits.append(self._hit(data, score, plan.terms, lang, names_only))
            if len(hits) >= limit:
                break
        if total is None:
            total = searcher.search(_any(tiers), 1, count=True).count
        return Results(total, hits)

    def _hit(self, data: dict, score: float, terms: an.Terms, lang: str, names_only: bool) -> Hit:
        labels = data["labels"]
        shown_lang = lang if lang in labels else next((x for x in (*LANGS, "") if x in labels), "")
        label = labels.get(shown_lang) or data["iri"].rsplit("/", 1)[-1]
        best = None  # (rank, lang, text, spans)
        candidates = [(0, n) for n in data["names"]]
        if not names_only:
            candidates += [(1, t) for t in data["texts"]]
        for kind, value in candidates:
            text_lang, text = value[0], value[1]
            readings = value[2] if len(value) > 2 else ()
            found = an.spans(text, terms, self._stem, readings)
            if not found:
                continue
            rank = (kind, found[0][0] != 0, text_lang != lang, -len(found), len(text))
            if best is None or rank < best[0]:
                best = (rank, text_lang, text, found)
        if best is None:
            best = ((), shown_lang, label, [])
        _rank, matched_lang, matched, found = best
        return Hit(
            iri=data["iri"],
            label=label,
            lang=shown_lang,
            kinds=data["kinds"],
            snippet=an.marked(matched, found),
            matched=matched,
            matched_lang=matched_lang,
            score=round(score, 4),
        )


def _all(queries: list[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def _any(queries: list[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _display_lang(lang: str | None, folded: str) -> str:
    """The language asked for, else the query's own: Chinese if it has Han characters."""
    if lang in LANGS:
        return lang
    return "zh" if an.HAN.search(folded) else "en"


def _regex_prefix(prefix: str) -> str:
    return prefix + ".*"  # pinyin syllables: ASCII letters only, nothing to escape
