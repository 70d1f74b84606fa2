"""How to cite a release: `CITATION.cff`, a schema.org `Dataset` (`dataset.jsonld`) and a DCAT
record (`dataset.dcat.ttl`), each with the version, licence, creators, the source document and
the works it credits (read from the store, see `kg.exchange.metadata`) and the files of the
release with their sizes and SHA-256 checksums.

All three are written from sorted data with no clock: two releases of one store are identical.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kg.exchange.metadata import About, Work
from kg.mediatypes import EXPORT_FORMATS, by_extension
from kg.vocab import PREFIXES, SCAD

DATASET = SCAD + "dataset"
RELEASE_BASE = SCAD + "release/"
# Licence IRIs we use -> SPDX identifiers (CITATION.cff wants the latter).
SPDX = {"https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0"}
KEYWORDS = (
    "knowledge graph",
    "stem-cell therapy",
    "autoimmune disease",
    "mesenchymal stem cells",
    "haematopoietic stem-cell transplantation",
    "evidence",
)
_VANCOUVER = re.compile(r"^(?P<family>\S.*?) (?P<given>[A-Z][A-Za-z-]{0,3})$")
_ELLIPSIS = ("…", "...")
MEDIA_TYPES = {"md": "text/markdown", "cff": "application/yaml", "jsonld": "application/ld+json"}


def media_type(name: str) -> str | None:
    fmt = by_extension(name, EXPORT_FORMATS)
    return MEDIA_TYPES.get(name.rsplit(".", 1)[-1]) or (fmt.media_type if fmt else None)


def _yaml(value: Any) -> str:
    """A YAML scalar: JSON syntax (a quoted string, a number) is valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def cff_authors(authors: str | None) -> list[dict[str, str]]:
    """'Jasim SA, Del Galdo F … Allanore Y' as CFF persons; a name in another form (孙凌云 (Sun
    Lingyun)) as it is written, an ellipsis as 'et al.'."""
    out: list[dict[str, str]] = []
    for part in re.split(r",\s*|\s+(?=…)|(?<=…)\s+", authors or ""):
        part = part.strip()
        if not part:
            continue
        if part in _ELLIPSIS:
            out.append({"name": "et al."})
        elif match := _VANCOUVER.match(part):
            out.append({"family-names": match["family"], "given-names": match["given"]})
        else:
            out.append({"name": part})
    return out or [{"name": "anonymous"}]


def _cff_reference(work: Work, note: str) -> list[str]:
    kind = "article" if work.journal or work.doi else "report"
    lines = [f"  - type: {kind}", f"    title: {_yaml(work.title or work.label or work.iri)}"]
    lines.append("    authors:")
    for author in cff_authors(work.authors):
        first = True
        for key, value in author.items():
            lines.append(f"      {'- ' if first else '  '}{key}: {_yaml(value)}")
            first = False
    if work.journal:
        lines.append(f"    journal: {_yaml(work.journal)}")
    if work.issued and work.issued[:4].isdigit():
        lines.append(f"    year: {int(work.issued[:4])}")
    if work.volume and work.volume.isdigit():
        lines.append(f"    volume: {int(work.volume)}")
    if work.issue:
        lines.append(f"    issue: {_yaml(work.issue)}")
    if work.pages and "-" in work.pages:
        start, end = work.pages.split("-", 1)
        lines += [f"    start: {_yaml(start)}", f"    end: {_yaml(end)}"]
    if work.article_number:
        lines.append(f"    number: {_yaml(work.article_number)}")
    if work.doi:
        lines.append(f"    doi: {_yaml(work.doi)}")
    lines.append(f"    url: {_yaml(work.url)}")
    lines.append(f"    notes: {_yaml(note)}")
    return lines


def _role(work: Work) -> str:
    return f"Credited as [{work.number}]" if work.number else "Credited by the source document"


def citation_cff(facts: About) -> bytes:
    lines = [
        "cff-version: 1.2.0",
        "message: "
        + _yaml(
            "If you use this dataset, cite it as below, and cite the source document it was "
            "curated from (the first reference)."
        ),
        "type: dataset",
        f"title: {_yaml(facts.title)}",
        f"version: {_yaml(facts.version)}",
    ]
    if facts.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", facts.date):
        lines.append(f"date-released: {_yaml(facts.date)}")
    if facts.license in SPDX:
        lines.append(f"license: {_yaml(SPDX[facts.license])}")
    if facts.license:
        lines.append(f"license-url: {_yaml(facts.license)}")
    lines.append(f"url: {_yaml(SCAD)}")
    if facts.description:
        lines.append(f"abstract: {_yaml(facts.description)}")
    lines.append("authors:")
    lines += [f"  - name: {_yaml(c)}" for c in facts.creators or ("SCAD knowledge-graph team",)]
    lines.append("keywords:")
    lines += [f"  - {_yaml(k)}" for k in KEYWORDS]
    lines.append("references:")
    for work in facts.source:
        lines += _cff_reference(work, "The source document: the statements are read from it")
    for work in facts.credited:
        lines += _cff_reference(work, _role(work))
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# schema.org


def _schema_work(work: Work) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": work.url,
        "@type": "ScholarlyArticle" if work.journal else "CreativeWork",
        "name": work.title or work.label,
    }
    if work.title_lang:
        node["inLanguage"] = work.title_lang
    if work.authors:
        node["author"] = work.authors
    if work.issued:
        node["datePublished"] = work.issued
    if work.journal:
        node["isPartOf"] = {"@type": "Periodical", "name": work.journal}
    if work.doi:
        node["identifier"] = f"doi:{work.doi}"
    node["sameAs"] = work.iri
    return node


def schema_org(facts: About, files: dict[str, tuple[int, str]]) -> bytes:
    """The schema.org Dataset (JSON-LD, context embedded so it parses offline)."""
    doc: dict[str, Any] = {
        "@context": {"@vocab": "https://schema.org/"},
        "@id": DATASET,
        "@type": "Dataset",
        "name": facts.title,
        "version": facts.version,
        "url": SCAD,
        "keywords": list(KEYWORDS),
        "creator": [{"@type": "Organization", "name": c} for c in facts.creators],
        "isBasedOn": [_schema_work(w) for w in facts.source],
        "citation": [_schema_work(w) for w in facts.credited],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": name,
                "contentUrl": name,
                "contentSize": f"{size} B",
                "sha256": digest,
                **({"encodingFormat": media_type(name)} if media_type(name) else {}),
            }
            for name, (size, digest) in files.items()
        ],
    }
    if facts.title_zh:
        doc["alternateName"] = facts.title_zh
    if facts.description:
        doc["description"] = facts.description
    if facts.date:
        doc["datePublished"] = facts.date
    if facts.license:
        doc["license"] = facts.license
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# DCAT

DCAT = "http://www.w3.org/ns/dcat#"
SPDX_NS = "http://spdx.org/rdf/terms#"
FOAF = "http://xmlns.com/foaf/0.1/"
DCAT_PREFIXES = {
    "dcat": DCAT,
    "dcterms": PREFIXES["dcterms"],
    "foaf": FOAF,
    "prov": PREFIXES["prov"],
    "rdf": PREFIXES["rdf"],
    "scad": SCAD,
    "spdx": SPDX_NS,
    "xsd": PREFIXES["xsd"],
}


def _dcat_triples(facts: About, files: dict[str, tuple[int, str]]) -> Iterator[Triple]:
    rdf_type = NamedNode(PREFIXES["rdf"] + "type")
    dct = PREFIXES["dcterms"]
    xsd = PREFIXES["xsd"]
    dataset = NamedNode(DATASET)

    def t(s, p: str, o) -> Triple:
        return Triple(s, NamedNode(p), o)

    yield t(dataset, rdf_type.value, NamedNode(DCAT + "Dataset"))
    yield t(dataset, dct + "title", Literal(facts.title, language="en"))
    if facts.title_zh:
        yield t(dataset, dct + "title", Literal(facts.title_zh, language="zh"))
    if facts.description:
        yield t(dataset, dct + "description", Literal(facts.description, language="en"))
    yield t(dataset, DCAT + "version", Literal(facts.version))
    if facts.date:
        yield t(dataset, dct + "issued", Literal(facts.date, datatype=NamedNode(xsd + "date")))
    if facts.license:
        yield t(dataset, dct + "license", NamedNode(facts.license))
    yield t(dataset, DCAT + "landingPage", NamedNode(SCAD))
    for i, creator in enumerate(facts.creators, start=1):
        agent = BlankNode(f"creator{i}")
        yield t(dataset, dct + "creator", agent)
        yield t(agent, rdf_type.value, NamedNode(FOAF + "Agent"))
        yield t(agent, FOAF + "name", Literal(creator))
    for work in facts.source:
        yield t(dataset, dct + "source", NamedNode(work.url))
        yield t(dataset, PREFIXES["prov"] + "wasDerivedFrom", NamedNode(work.iri))
    for work in facts.credited:
        yield t(dataset, dct + "references", NamedNode(work.url))
    for work in (*facts.source, *facts.credited):
        if work.url != work.iri:
            yield t(NamedNode(work.url), PREFIXES["owl"] + "sameAs", NamedNode(work.iri))
        if work.title:
            yield t(NamedNode(work.url), dct + "title", Literal(work.title))
    for i, (name, (size, digest)) in enumerate(files.items(), start=1):
        dist = NamedNode(f"{RELEASE_BASE}{facts.version}/{name}")
        checksum = BlankNode(f"sha256-{i}")
        yield t(dataset, DCAT + "distribution", dist)
        yield t(dist, rdf_type.value, NamedNode(DCAT + "Distribution"))
        yield t(dist, dct + "title", Literal(name))
        yield t(
            dist,
            DCAT + "byteSize",
            Literal(str(size), datatype=NamedNode(xsd + "nonNegativeInteger")),
        )
        if media_type(name):
            yield t(
                dist,
                DCAT + "mediaType",
                NamedNode(f"https://www.iana.org/assignments/media-types/{media_type(name)}"),
            )
        yield t(dist, SPDX_NS + "checksum", checksum)
        yield t(checksum, rdf_type.value, NamedNode(SPDX_NS + "Checksum"))
        yield t(checksum, SPDX_NS + "algorithm", NamedNode(SPDX_NS + "checksumAlgorithm_sha256"))
        yield t(
            checksum,
            SPDX_NS + "checksumValue",
            Literal(digest, datatype=NamedNode(xsd + "hexBinary")),
        )


def dcat(facts: About, files: dict[str, tuple[int, str]]) -> bytes:
    """The DCAT 3 record in Turtle (sorted triples, fixed prefixes)."""
    triples = sorted(
        _dcat_triples(facts, files), key=lambda t: (str(t.subject), str(t.predicate), str(t.object))
    )
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=DCAT_PREFIXES)


def write(facts: About, folder: Path, files: dict[str, tuple[int, str]]) -> list[Path]:
    """Write the three records for a release whose other files are `files` (name -> size, sha256)."""
    records = {
        "CITATION.cff": citation_cff(facts),
        "dataset.jsonld": schema_org(facts, files),
        "dataset.dcat.ttl": dcat(facts, files),
    }
    for name, data in records.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in records]
