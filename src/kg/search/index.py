"""The tantivy index: its schema and analyzers, written once per build, opened read-only.

One document per entity (kg.search.documents). Each text is indexed several ways, in fields
that a query combines with boosts:

    name_en, text_en   English words of names (labels, alternative labels) and of the other texts:
                       lower case, English stop words dropped, Snowball-stemmed
    name_zh, text_zh   Han runs as 1–2 character n-grams (Simplified; Traditional folds to it)
    name_py            pinyin of the Han runs of names, every reading of a character at its
                       position (type-ahead entities only)
    name_exact         each whole name, folded: an exact name ranks first
    name_start         prefixes (1–20 characters) of each whole name, for type-ahead
    name_word          prefixes of each name from its 2nd … 8th word on (`ery` → lupus erythematosus)
    type, flags        every class of the entity (the `type=` filter); `suggested`
    weight             n statements about the entity, as a gentle prior: score × log2(2 + n/(n+5))
    popularity         n itself, the stronger prior of type-ahead: score × log2(2 + n)
    data               what a hit shows (labels, kinds, names and texts with their languages)

The folder `search/` holds `entities/` (that index), `index.json` and `terms/`, a small index
of the English terms with their document counts (counted in a scratch table as the documents are
written, kg.search.scratch): a query word found nowhere is corrected to the nearest terms
(Levenshtein distance 1, 2 from 8 letters) before the search, so that typos rank by BM25 like
any word and are marked in snippets.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tantivy
from pyoxigraph import Store
from tantivy import Document, Filter, Index, SchemaBuilder, Tokenizer
from tantivy import TextAnalyzerBuilder as Analyzer

from kg.errors import StoreError
from kg.search import analysis as an
from kg.search.documents import Entity, read_entities
from kg.search.scratch import scratch_db

FOLDER = "search"  # inside the store's build folder: swapped, copied and pruned with it
META = "index.json"  # format and counts, beside the two tantivy indexes entities/ and terms/
FORMAT = 1  # bump when the schema changes: an older index is refused, not misread
MAX_PREFIX = 20
MAX_WORD_STARTS = 7
WRITER_HEAP = 64_000_000
SUGGESTED = "suggested"
ENGLISH = ("name_en", "text_en")  # the fields the terms index counts
# Each term's documents in each English field, summed. In the order of the index's own term
# lists (by count, then term) walked name_en first, then text_en for the terms it adds: the
# terms index's document order, by which corrections with equal scores rank.
_TERM_COUNTS = """
SELECT term, SUM(field = 0) AS names, SUM(field = 1) AS texts FROM terms GROUP BY term
ORDER BY names = 0, CASE WHEN names > 0 THEN names ELSE texts END DESC, term
"""


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    return {
        "kg_en": Analyzer(Tokenizer.simple())
        .filter(Filter.lowercase())
        .filter(Filter.stopword("english"))
        .filter(Filter.stemmer("english"))
        .build(),
        # The same without stop words: one stem per word, for marking matches in snippets.
        "kg_stem": Analyzer(Tokenizer.simple())
        .filter(Filter.lowercase())
        .filter(Filter.stemmer("english"))
        .build(),
        "kg_zh": Analyzer(Tokenizer.ngram(1, 2)).build(),
        "kg_prefix": Analyzer(Tokenizer.ngram(1, MAX_PREFIX, prefix_only=True)).build(),
        "kg_pinyin": Analyzer(Tokenizer.whitespace()).build(),
    }


def _schema() -> tantivy.Schema:
    sb = SchemaBuilder()
    sb.add_text_field("iri", stored=True, tokenizer_name="raw")
    sb.add_text_field("type", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("flags", tokenizer_name="raw", index_option="basic")
    for name in ("name_en", "text_en"):
        sb.add_text_field(name, tokenizer_name="kg_en")
    for name in ("name_zh", "text_zh"):
        sb.add_text_field(name, tokenizer_name="kg_zh")
    sb.add_text_field("name_py", tokenizer_name="kg_pinyin")
    sb.add_text_field("name_exact", tokenizer_name="raw", index_option="freq")
    sb.add_text_field("name_start", tokenizer_name="kg_prefix", index_option="freq")
    sb.add_text_field("name_word", tokenizer_name="kg_prefix", index_option="freq")
    sb.add_float_field("weight", fast=True)
    sb.add_float_field("popularity", fast=True)
    sb.add_bytes_field("data", stored=True)
    return sb.build()


def _terms_schema() -> tantivy.Schema:
    sb = SchemaBuilder()
    sb.add_text_field("term", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("df", stored=True, fast=True)
    return sb.build()


def _open(path: Path, schema: tantivy.Schema) -> Index:
    index = Index(schema, path=str(path), reuse=True)
    for name, analyzer in _analyzers().items():
        index.register_tokenizer(name, analyzer)
    return index


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class IndexReport:
    folder: Path
    entities: int
    terms: int


def write_index(build_dir: Path, store: Store | None = None) -> IndexReport:
    """Index the store in `build_dir` into `build_dir/search` (replacing any index there);
    `store`: that store, when the caller has it open (the build writing it).

    Memory does not grow with the graph: entities are read one at a time, the writer flushes a
    segment whenever its heap is full, and the English terms go to a scratch table as each
    document is written, to be counted there."""
    folder = Path(build_dir) / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "entities").mkdir(parents=True)
    (folder / "terms").mkdir()
    try:
        store = store if store is not None else Store.read_only(str(build_dir))
        with scratch_db("terms", ("term", "field")) as db:
            count = _write_entities(store, _open(folder / "entities", _schema()), db)
            terms = _write_terms(db, folder / "terms")
        (folder / META).write_text(  # last: its presence says the index is whole
            json.dumps({"format": FORMAT, "entities": count, "terms": terms}) + "\n"
        )
    except (OSError, RuntimeError, ValueError, sqlite3.Error) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StoreError(f"cannot write the search index in {folder}: {exc}") from exc
    return IndexReport(folder, count, terms)


def _write_entities(store: Store, index: Index, terms: sqlite3.Connection) -> int:
    """One document per entity, in IRI order; each document's English terms into `terms`."""
    english = _analyzers()["kg_en"]
    writer = index.writer(WRITER_HEAP, 1)
    count = 0
    for entity in read_entities(store):
        doc = _document(entity)
        writer.add_document(doc)
        terms.executemany("INSERT INTO terms VALUES (?, ?)", _english_terms(doc, english))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


def _document(entity: Entity) -> Document:
    doc = Document()
    doc.add_text("iri", entity.iri)
    for cls in sorted(entity.types):
        doc.add_text("type", cls)
    suggested = entity.suggested
    if suggested:
        doc.add_text("flags", SUGGESTED)
    names = []
    for lang, text in entity.names:
        folded = an.fold(text)
        doc.add_text("name_en", an.without_han(folded))
        doc.add_text("name_exact", folded)
        runs = an.han_runs(folded)
        for run in runs:
            doc.add_text("name_zh", run)
        readings: list[tuple[str, ...]] = []
        if suggested:
            doc.add_text("name_start", folded)
            for start in _word_starts(folded):
                doc.add_text("name_word", folded[start:])
            for run in runs:
                doc.add_pre_tokenized_text("name_py", _pinyin_tokens(run))
            if runs:
                readings = _readings_by_position(an.fold_aligned(text))
        names.append([lang, text, readings] if readings else [lang, text])
    for _lang, text in entity.texts:
        folded = an.fold(text)
        doc.add_text("text_en", an.without_han(folded))
        for run in an.han_runs(folded):
            doc.add_text("text_zh", run)
    n = entity.statements
    doc.add_float("weight", n / (n + 5))
    doc.add_float("popularity", float(n))
    data = {
        "iri": entity.iri,
        "labels": entity.labels,
        "kinds": entity.kinds,
        "names": names,
        "texts": [list(t) for t in entity.texts],
    }
    doc.add_bytes("data", json.dumps(data, ensure_ascii=False).encode())
    return doc


def _word_starts(folded: str) -> list[int]:
    starts = [m.start() for m in an.WORD.finditer(folded) if m.start() > 0]
    return starts[:MAX_WORD_STARTS]


def _pinyin_tokens(run: str) -> tantivy.PreTokenizedString:
    """A Han run as its readings, every reading of a character at that character's position."""
    tokens = [
        tantivy.Token(reading, position, position, position + 1)
        for position, readings in enumerate(an.pinyin(run))
        for reading in readings
    ]
    return tantivy.PreTokenizedString(run, tokens)


def _readings_by_position(folded: str) -> list[tuple[str, ...]]:
    """The readings of each character of a name (() where it is not Han), aligned with it."""
    out: list[tuple[str, ...]] = [()] * len(folded)
    for m in an.HAN.finditer(folded):
        out[m.start() : m.end()] = an.pinyin(m.group())
    return out


def _english_terms(doc: Document, english: tantivy.TextAnalyzer) -> Iterator[tuple[str, int]]:
    """The distinct terms of each English field of a document, as the index has them."""
    for number, name in enumerate(ENGLISH):
        terms = {term for text in doc.get_all(name) for term in english.analyze(text)}
        yield from ((term, number) for term in terms)


def _write_terms(db: sqlite3.Connection, folder: Path) -> int:
    """The terms index: each English term with its document count, the two fields' summed."""
    index = _open(folder, _terms_schema())
    writer = index.writer(WRITER_HEAP, 1)
    count = 0
    for term, names, texts in db.execute(_TERM_COUNTS):
        doc = Document()
        doc.add_text("term", term)
        doc.add_unsigned("df", names + texts)
        writer.add_document(doc)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


# ---------------------------------------------------------------------------------------------
# Opening


def open_index(build_dir: Path) -> tuple[Index, Index, dict]:
    """The main and terms indexes of a build, and its meta; StoreError when there is none."""
    folder = Path(build_dir).resolve() / FOLDER
    meta_file = folder / META
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"no search index in {folder}: run `kg build`") from exc
    if meta.get("format") != FORMAT:
        raise StoreError(
            f"the search index in {folder} has format {meta.get('format')}, not {FORMAT}: "
            "run `kg build`"
        )
    try:
        entities = _open(folder / "entities", _schema())
        return entities, _open(folder / "terms", _terms_schema()), meta
    except (OSError, RuntimeError, ValueError) as exc:
        raise StoreError(f"cannot open the search index in {folder}: {exc}") from exc
