"""`kg synth`: synthetic evidence statements in the project's vocabulary, for measuring at size.

The statements follow the pattern of the curated ones (a kind, a therapy, a condition, one or two
outcomes with measure, value or bounds, unit and follow-up, a direction, a source, a locator,
labels and summaries in English and Chinese) and are spread at random, reproducibly by seed,
over the therapies, diseases, measures, units and directions of the real graph and over many
synthetic references (one per ten statements, each with the synthetic report that asserts its
statements and cites it, a section and locators).

Everything synthetic lives in its own namespace, `https://w3id.org/scad/synth/` (prefix
`synth:`), and says so in its labels, so that it can never pass for a curated fact. Nothing
generated is loaded unless asked for: `kg build --extra FILE` (or `KG_EXTRA_SOURCES`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pyoxigraph import Store

from kg.errors import SourceError
from kg.sources import read_sources
from kg.vocab import SCAD

SYNTH = SCAD + "synth/"
STATEMENTS_PER_REFERENCE = 10
LOCATORS_PER_REFERENCE = 4
KINDS = ("OutcomeStatement", "SafetyStatement")

HEADER = f"""# Synthetic evidence statements written by `kg synth` for measuring the build at size.
# Not facts: every IRI is in the synth: namespace and every label says "synthetic".
@prefix scad:    <{SCAD}> .
@prefix synth:   <{SYNTH}> .
@prefix owl:     <http://www.w3.org/2002/07/owl#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix obo:     <http://purl.obolibrary.org/obo/> .
@prefix cito:    <http://purl.org/spar/cito/> .

"""

# Members of these classes (or of their subclasses) in the real graph are what synthetic
# statements are about.
POOLS = {
    "therapies": "Intervention",
    "diseases": "Disease",
    "measures": "OutcomeMeasure",
    "units": "Unit",
    "directions": "Direction",
}


@dataclass
class Vocabulary:
    """The individuals of the real graph that synthetic statements point to (local names)."""

    therapies: list[str]
    diseases: list[str]
    measures: list[str]
    units: list[str]
    directions: list[str]


def vocabulary(sources: Path) -> Vocabulary:
    """Read the pools of individuals from the real sources (TBox and data)."""
    store = Store()
    read_sources(sources, store)
    pools: dict[str, list[str]] = {}
    for name, cls in POOLS.items():
        rows = store.query(
            "SELECT DISTINCT ?x WHERE { ?x a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
            f"<{SCAD}{cls}> FILTER(STRSTARTS(STR(?x), '{SCAD}') "
            f"&& !STRSTARTS(STR(?x), '{SYNTH}')) }} ORDER BY ?x",
            use_default_graph_as_union=True,
        )
        pools[name] = [row["x"].value[len(SCAD) :] for row in rows]
        if not pools[name]:
            raise SourceError(sources, None, None, f"no individuals of scad:{cls} to draw from")
    return Vocabulary(**pools)


def _decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _outcome(rng: random.Random, vocab: Vocabulary, iri: str, n: int) -> str:
    measure = rng.choice(vocab.measures)
    unit = rng.choice(vocab.units)
    lines = [
        f"{iri} a owl:NamedIndividual , scad:Outcome ;",
        f'    rdfs:label "synthetic outcome {n}"@en , "合成结局{n}"@zh ;',
        f"    scad:measure scad:{measure} ;",
    ]
    if rng.random() < 0.7:
        lines.append(f'    scad:value "{_decimal(rng.uniform(0, 100))}"^^xsd:decimal ;')
        if rng.random() < 0.2:
            lines.append("    scad:approximate true ;")
    else:
        low = rng.uniform(0, 60)
        lines.append(f'    scad:lowerBound "{_decimal(low)}"^^xsd:decimal ;')
        lines.append(f'    scad:upperBound "{_decimal(low + rng.uniform(0, 40))}"^^xsd:decimal ;')
    if rng.random() < 0.6:
        lines.append(f'    scad:followUp "{rng.randint(1, 10)}"^^xsd:decimal ;')
        lines.append("    scad:followUpUnit scad:unit-year ;")
    lines.append(f"    scad:unit scad:{unit} .")
    return "\n".join(lines) + "\n\n"


def _reference(number: int) -> str:
    ref = f"synth:ref-{number:06d}"
    sec = f"synth:sec-{number:06d}"
    doc = f"synth:doc-{number:06d}"
    parts = [
        f"{ref} a owl:NamedIndividual , scad:ReviewArticle ;\n"
        f'    rdfs:label "synthetic reference {number}"@en , "合成文献{number}"@zh ;\n'
        f'    dcterms:title "Synthetic reference {number} (not a real publication)"@en ;\n'
        f'    dcterms:issued "{2000 + number % 26}"^^xsd:gYear ;\n'
        f'    scad:doi "10.5555/scad-synth.{number:06d}" .\n\n',
        # The document that asserts the statements (as the article asserts the review's), and
        # cites the reference they are credited to.
        f"{doc} a owl:NamedIndividual , scad:WebArticle ;\n"
        f'    rdfs:label "synthetic report {number}"@en , "合成报告{number}"@zh ;\n'
        f"    cito:cites {ref} .\n\n",
        f"{sec} a owl:NamedIndividual , scad:ReviewSection ;\n"
        f'    rdfs:label "synthetic report {number}, results"@en , "合成报告{number}结果部分"@zh ;\n'
        f"    scad:sectionNumber 1 ; scad:inDocument {doc} .\n\n",
    ]
    for point in range(1, LOCATORS_PER_REFERENCE + 1):
        parts.append(
            f"synth:loc-{number:06d}-{point} a owl:NamedIndividual , scad:Locator ;\n"
            f'    rdfs:label "synthetic reference {number}, point {point}"@en , '
            f'"合成文献{number}第{point}条"@zh ;\n'
            f"    scad:section {sec} ; scad:pointNumber {point} .\n\n"
        )
    return "".join(parts)


def statements(count: int, vocab: Vocabulary, seed: int = 0) -> Iterator[str]:
    """Turtle text, one block per statement (references written before their statements)."""
    rng = random.Random(seed)
    yield HEADER
    for n in range(1, count + 1):
        ref_number = (n - 1) // STATEMENTS_PER_REFERENCE + 1
        if (n - 1) % STATEMENTS_PER_REFERENCE == 0:
            yield _reference(ref_number)
        therapy, disease = rng.choice(vocab.therapies), rng.choice(vocab.diseases)
        kind = rng.choice(KINDS)
        outcomes = [f"synth:out-{n:07d}-{k}" for k in range(1, rng.choice((1, 1, 2)) + 1)]
        locator = f"synth:loc-{ref_number:06d}-{rng.randint(1, LOCATORS_PER_REFERENCE)}"
        block = (
            f"synth:stmt-{n:07d} a owl:NamedIndividual , scad:{kind} ;\n"
            f'    rdfs:label "synthetic statement {n}: scad:{therapy} in scad:{disease}"@en , '
            f'"合成陈述{n}"@zh ;\n'
            f"    scad:therapy scad:{therapy} ;\n"
            f"    scad:condition scad:{disease} ;\n"
            f"    scad:outcome {' , '.join(outcomes)} ;\n"
            f"    scad:direction scad:{rng.choice(vocab.directions)} ;\n"
            f"    scad:assertedBy synth:doc-{ref_number:06d} ;\n"
            f"    scad:source synth:ref-{ref_number:06d} ;\n"
            f"    scad:locator {locator} ;\n"
            "    scad:evidenceType obo:ECO_0006016 ;\n"
            f'    scad:summary "Synthetic statement {n}, generated for measuring; not a finding."@en ,\n'
            f'        "合成陈述{n},仅用于测量,并非研究结论。"@zh .\n\n'
        )
        yield block + "".join(
            _outcome(rng, vocab, iri, n * 10 + k) for k, iri in enumerate(outcomes, 1)
        )


def write(count: int, vocab: Vocabulary, out: IO[str], seed: int = 0) -> int:
    """Write `count` statements to `out`; return the number of statements written."""
    for block in statements(count, vocab, seed):
        out.write(block)
    return count
