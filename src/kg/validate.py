"""Validate step: OWL checks (declarations, property kinds, datatypes) and the SHACL shapes."""

from __future__ import annotations

import pyshacl
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef

from kg.errors import ValidationError
from kg.sources import SourceFile, Sources, locate
from kg.vocab import PREFIXES

BUILT_IN = (str(RDF), str(RDFS), str(OWL))
PROPERTY_KINDS = {
    OWL.ObjectProperty: "object",
    OWL.DatatypeProperty: "datatype",
    OWL.AnnotationProperty: "annotation",
}
# What HermiT accepts on datatype properties (OWL 2 datatype map, the subset we use).
REASONER_DATATYPES = {
    XSD.decimal,
    XSD.integer,
    XSD.nonNegativeInteger,
    XSD.boolean,
    XSD.string,
    RDF.langString,
}
SHACL = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def _where(source: SourceFile, iri: str, namespaces: dict[str, str]) -> str:
    line = locate(source, iri, namespaces)
    rel = source.path.name if source.path.parent.name != "data" else f"data/{source.path.name}"
    return f"{rel}:{line}" if line else rel


def _short(iri: str, namespaces: dict[str, str]) -> str:
    for prefix, ns in namespaces.items():
        if iri.startswith(ns) and prefix:
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


def declared_kinds(tbox: rdflib.Graph) -> dict[URIRef, set[str]]:
    kinds: dict[URIRef, set[str]] = {}
    for rdf_type, kind in PROPERTY_KINDS.items():
        for prop in tbox.subjects(RDF.type, rdf_type):
            kinds.setdefault(prop, set()).add(kind)
    return kinds


def check_owl(sources: Sources) -> list[str]:
    """Every predicate and class used is declared, with one kind, and used as its kind says."""
    tbox = sources.merged("ontology")
    namespaces = PREFIXES
    kinds = declared_kinds(tbox)
    classes = set(tbox.subjects(RDF.type, OWL.Class))
    problems: list[str] = []
    for prop, found in sorted(kinds.items()):
        if len(found) > 1:
            problems.append(
                f"{_short(prop, namespaces)} is declared as {' and '.join(sorted(found))} "
                "property at once"
            )
    seen: set[tuple[str, str]] = set()

    def report(source: SourceFile, iri: str, text: str) -> None:
        if (iri, text) not in seen:
            seen.add((iri, text))
            problems.append(f"{_where(source, iri, namespaces)}: {text}")

    for source in sources.files():
        for _s, p, o in source.graph:
            if not str(p).startswith(BUILT_IN) and p not in kinds:
                report(source, str(p), f"undeclared property {_short(p, namespaces)}")
                continue
            if (
                p == RDF.type
                and isinstance(o, URIRef)
                and not str(o).startswith(BUILT_IN)
                and o not in classes
            ):
                report(source, str(o), f"undeclared class {_short(o, namespaces)}")
            kind = next(iter(kinds.get(p, ())), None)
            if kind == "object" and isinstance(o, Literal):
                report(
                    source, str(p), f"object property {_short(p, namespaces)} used with a literal"
                )
            elif kind == "datatype" and not isinstance(o, Literal):
                report(
                    source, str(p), f"datatype property {_short(p, namespaces)} used with an IRI"
                )
            elif (
                kind == "datatype"
                and (o.datatype or XSD.string) not in REASONER_DATATYPES
                and not o.language
            ):
                report(
                    source,
                    str(p),
                    f"datatype {_short(o.datatype, namespaces)} on "
                    f"{_short(p, namespaces)} is outside the reasoner's datatype map",
                )
    return problems


def check_shapes(sources: Sources) -> list[str]:
    """Run the SHACL shapes over TBox + data; one line per violation."""
    if len(sources.shapes) == 0:
        return []
    data = sources.merged("ontology") + sources.merged("statements")
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=sources.shapes, inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return []
    namespaces = PREFIXES
    problems = []
    for result in report.subjects(RDF.type, SHACL.ValidationResult):
        focus = report.value(result, SHACL.focusNode)
        path = report.value(result, SHACL.resultPath)
        message = report.value(result, SHACL.resultMessage)
        where = _short(str(focus), namespaces)
        if path is not None and isinstance(path, URIRef):
            where += f" {_short(str(path), namespaces)}"
        problems.append(f"{where}: {message}")
    return sorted(set(problems))


def validate(sources: Sources) -> None:
    problems = check_owl(sources)
    problems += check_shapes(sources)
    if problems:
        raise ValidationError(problems)
