"""Docs step (run by the build): an HTML page per class and property of the TBox, and an index.

Written into <output>/ontology/ (index.html, <LocalName>.html) and served at /ontology/ by
kg.web.linked. A small Jinja generator of ours reading the TBox (instead of pyLODE, a heavy
dependency): labels in English and Chinese, definition, superclasses and class expressions in
Manchester syntax, subclasses (asserted and inferred), disjoint classes, domains and ranges,
mappings to the standard ontologies, and how many individuals or triples use each term.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import rdflib
from markupsafe import Markup, escape
from pyoxigraph import Store
from rdflib import OWL, RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection

from kg.folders import swap_in
from kg.vocab import GRAPHS, ONTOLOGY_IRI, PREFIXES, SCAD

TEMPLATES = Path(__file__).parent / "web" / "templates"
SKOS = rdflib.Namespace(PREFIXES["skos"])
DCTERMS = rdflib.Namespace(PREFIXES["dcterms"])
MAPPINGS = ("exactMatch", "closeMatch", "relatedMatch", "broadMatch", "narrowMatch")
KINDS = {
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
}
CHARACTERISTICS = {
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
}
RESTRICTIONS = (
    (OWL.someValuesFrom, "some"),
    (OWL.allValuesFrom, "only"),
    (OWL.hasValue, "value"),
    (OWL.minQualifiedCardinality, "min"),
    (OWL.maxQualifiedCardinality, "max"),
    (OWL.qualifiedCardinality, "exactly"),
    (OWL.minCardinality, "min"),
    (OWL.maxCardinality, "max"),
    (OWL.cardinality, "exactly"),
)


def _ours(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(SCAD)


def local_name(node: object) -> str:
    return str(node)[len(SCAD) :]


def curie(iri: str) -> str:
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and iri != base:
            return f"{prefix}:{iri[len(base) :]}"
    return iri


def labels(graph: rdflib.Graph, node: object) -> dict[str, str]:
    """{language: label}, the first in sorted order per language."""
    out: dict[str, str] = {}
    for value in sorted(graph.objects(node, RDFS.label)):
        if isinstance(value, Literal):
            out.setdefault(value.language or "", str(value))
    return out


def texts(graph: rdflib.Graph, node: object, prop: URIRef) -> list[tuple[str, str]]:
    """(language, text) of every literal value of `prop`, sorted."""
    return sorted(
        (v.language or "", str(v)) for v in graph.objects(node, prop) if isinstance(v, Literal)
    )


@dataclass
class Page:
    """What one page shows (the template does the layout)."""

    iri: str
    local: str
    kind: str
    labels: dict[str, str]
    definitions: list[tuple[str, str]]
    comments: list[tuple[str, str]]
    rows: list[tuple[str, list[Markup]]] = field(default_factory=list)  # (heading, values)
    usage: str = ""


class Linker:
    """Turns terms and class expressions into HTML links and Manchester syntax."""

    def __init__(self, graph: rdflib.Graph, pages: set[URIRef]):
        self.graph, self.pages = graph, pages

    def term(self, node: object) -> Markup:
        if isinstance(node, Literal):
            return escape(str(node))
        if isinstance(node, BNode):
            return self.expression(node)
        name = labels(self.graph, node).get("en") or curie(str(node))
        title = escape(curie(str(node)))
        if node in self.pages:
            href = f"{local_name(node)}.html"
        elif _ours(node):
            href = f"/scad/{local_name(node)}"
        else:
            href = str(node)
        return Markup(f'<a href="{escape(href)}" title="{title}">{escape(name)}</a>')

    def _list(self, node: object) -> list:
        return list(Collection(self.graph, node))

    def expression(self, node: object) -> Markup:
        g = self.graph
        if not isinstance(node, BNode):
            return self.term(node)
        prop = g.value(node, OWL.onProperty)
        if prop is not None:
            for predicate, word in RESTRICTIONS:
                value = g.value(node, predicate)
                if value is None:
                    continue
                filler = g.value(node, OWL.onClass)
                text = Markup(f"{self.term(prop)} <em>{word}</em> {self.term(value)}")
                return text + (Markup(" ") + self.term(filler) if filler is not None else "")
        for predicate, word in ((OWL.intersectionOf, "and"), (OWL.unionOf, "or")):
            members = g.value(node, predicate)
            if members is not None:
                parts = [self._nested(m) for m in self._list(members)]
                return Markup(f" <em>{word}</em> ").join(parts)
        members = g.value(node, OWL.oneOf)
        if members is not None:
            return Markup("{") + Markup(", ").join(self.term(m) for m in self._list(members)) + "}"
        inner = g.value(node, OWL.complementOf)
        if inner is not None:
            return Markup("<em>not</em> ") + self._nested(inner)
        return Markup("<em>(anonymous)</em>")

    def _nested(self, node: object) -> Markup:
        text = self.expression(node)
        return Markup(f"({text})") if isinstance(node, BNode) else text


def _terms(tbox: rdflib.Graph) -> tuple[list[URIRef], dict[URIRef, str]]:
    classes = sorted(c for c in tbox.subjects(RDF.type, OWL.Class) if _ours(c))
    props: dict[URIRef, str] = {}
    for rdf_type, kind in KINDS.items():
        for p in tbox.subjects(RDF.type, rdf_type):
            if _ours(p):
                props[p] = kind
    return classes, dict(sorted(props.items()))


LISTED = 40  # individuals listed on a class page


def _store_facts(store: Store, tbox: rdflib.Graph, classes: list[URIRef]):
    """From the store, by a few aggregate queries: the inferred subclass links, how many of our
    individuals each class has (and the first few, with their labels), and how many statement
    triples use each property."""
    inferred = rdflib.Graph()
    for row in store.query(
        f"SELECT ?s ?o WHERE {{ GRAPH <{GRAPHS['inferred']}> {{ ?s <{RDFS.subClassOf}> ?o }} }}"
    ):
        inferred.add((URIRef(row["s"].value), RDFS.subClassOf, URIRef(row["o"].value)))
    members: dict[URIRef, int] = {}
    for row in store.query(
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} "
        f"FILTER(STRSTARTS(STR(?s), '{SCAD}')) }} GROUP BY ?c"
    ):
        members[URIRef(row["c"].value)] = int(row["n"].value)
    first: dict[URIRef, list[URIRef]] = {}
    names = rdflib.Graph()
    for cls in classes:
        if not members.get(cls):
            continue
        rows = store.query(
            f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a <{cls}> }} "
            f"FILTER(STRSTARTS(STR(?s), '{SCAD}')) }} ORDER BY ?s LIMIT {LISTED}"
        )
        first[cls] = [URIRef(row["s"].value) for row in rows]
    listed = sorted({m for ms in first.values() for m in ms} - set(tbox.subjects()))
    for start in range(0, len(listed), 500):
        values = " ".join(f"<{m}>" for m in listed[start : start + 500])
        for row in store.query(
            f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s <{RDFS.label}> ?l }} }}"
        ):
            label = row["l"]
            names.add(
                (URIRef(row["s"].value), RDFS.label, Literal(label.value, lang=label.language))
            )
    usage: dict[URIRef, int] = {}
    for row in store.query(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPHS['statements']}> {{ ?s ?p ?o }} }} "
        "GROUP BY ?p"
    ):
        usage[URIRef(row["p"].value)] = int(row["n"].value)
    return inferred, members, first, names, usage


def build_pages(tbox: rdflib.Graph, store: Store) -> tuple[list[Page], dict]:
    """Every class and property page, and what the index shows."""
    classes, props = _terms(tbox)
    inferred, counts, first, names, usage = _store_facts(store, tbox, classes)
    link = Linker(tbox + names, set(classes) | set(props))
    disjoint: dict[URIRef, set] = {}
    for group in tbox.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(tbox, tbox.value(group, OWL.members)))
        for m in members:
            disjoint.setdefault(m, set()).update(x for x in members if x != m)
    for a, b in tbox.subject_objects(OWL.disjointWith):
        disjoint.setdefault(a, set()).add(b)
        disjoint.setdefault(b, set()).add(a)

    def mapping_rows(node: URIRef) -> list[tuple[str, list[Markup]]]:
        rows = []
        for name in MAPPINGS:
            values = sorted(tbox.objects(node, SKOS[name]))
            if values:
                rows.append((f"skos:{name}", [link.term(v) for v in values]))
        return rows

    pages = []
    for cls in classes:
        supers = sorted(tbox.objects(cls, RDFS.subClassOf), key=lambda n: (isinstance(n, BNode), n))
        subs = sorted(s for s in tbox.subjects(RDFS.subClassOf, cls) if isinstance(s, URIRef))
        inferred_subs = sorted(
            s for s in inferred.subjects(RDFS.subClassOf, cls) if _ours(s) and s not in subs
        )
        rows = [
            ("Superclasses", [link.expression(s) for s in supers]),
            ("Equivalent to", [link.expression(e) for e in tbox.objects(cls, OWL.equivalentClass)]),
            ("Subclasses", [link.term(s) for s in subs]),
            (
                "Subclasses inferred by HermiT",
                [link.term(s) for s in inferred_subs],
            ),
            ("Disjoint with", [link.term(d) for d in sorted(disjoint.get(cls, ()))]),
            (
                "Domain of",
                [link.term(p) for p in sorted(tbox.subjects(RDFS.domain, cls)) if p in props],
            ),
            (
                "Range of",
                [link.term(p) for p in sorted(tbox.subjects(RDFS.range, cls)) if p in props],
            ),
        ]
        count = counts.get(cls, 0)
        rows.append(("Individuals", [link.term(m) for m in first.get(cls, [])]))
        used = f"{count} individual{'s' if count != 1 else ''} in the graph"
        if count > LISTED:
            used += f" (the first {LISTED} are listed)"
        pages.append(_page(tbox, cls, "class", rows + mapping_rows(cls), used))
    for prop, kind in props.items():
        traits = [CHARACTERISTICS[t] for t in tbox.objects(prop, RDF.type) if t in CHARACTERISTICS]
        rows = [
            ("Characteristics", [Markup(escape(t)) for t in sorted(traits)]),
            ("Domain", [link.expression(d) for d in sorted(tbox.objects(prop, RDFS.domain))]),
            ("Range", [link.expression(r) for r in sorted(tbox.objects(prop, RDFS.range))]),
            (
                "Super-properties",
                [link.term(p) for p in sorted(tbox.objects(prop, RDFS.subPropertyOf))],
            ),
            (
                "Sub-properties",
                [link.term(p) for p in sorted(tbox.subjects(RDFS.subPropertyOf, prop))],
            ),
        ]
        n = usage.get(prop, 0)
        used = f"used in {n} triple{'s' if n != 1 else ''} of the statements graph"
        pages.append(_page(tbox, prop, kind, rows + mapping_rows(prop), used))
    ontology = URIRef(ONTOLOGY_IRI)
    index = {
        "iri": ONTOLOGY_IRI,
        "titles": texts(tbox, ontology, DCTERMS.title),
        "descriptions": texts(tbox, ontology, DCTERMS.description),
        "version_iri": str(tbox.value(ontology, OWL.versionIRI) or ""),
        "version": str(tbox.value(ontology, OWL.versionInfo) or ""),
        "license": str(tbox.value(ontology, DCTERMS.license) or ""),
        "tree": _tree(tbox, classes, link),
        "properties": {
            kind: [p for p in pages if p.kind == kind] for kind in sorted(set(props.values()))
        },
        "classes": [p for p in pages if p.kind == "class"],
    }
    return pages, index


def _page(tbox, node, kind, rows, usage) -> Page:
    return Page(
        iri=str(node),
        local=local_name(node),
        kind=kind,
        labels=labels(tbox, node),
        definitions=texts(tbox, node, SKOS.definition),
        comments=texts(tbox, node, RDFS.comment),
        rows=[(heading, values) for heading, values in rows if values],
        usage=usage,
    )


def _tree(tbox: rdflib.Graph, classes: list[URIRef], link: Linker) -> Markup:
    """The asserted class hierarchy as nested lists (a class under each named superclass)."""
    children: dict[URIRef, list[URIRef]] = {}
    roots = []
    for cls in classes:
        supers = [s for s in tbox.objects(cls, RDFS.subClassOf) if s in set(classes)]
        for s in supers:
            children.setdefault(s, []).append(cls)
        if not supers:
            roots.append(cls)

    def render(nodes: list[URIRef], depth: int) -> Markup:
        if not nodes or depth > 12:
            return Markup("")
        items = [
            Markup("<li>")
            + link.term(n)
            + render(sorted(children.get(n, [])), depth + 1)
            + Markup("</li>")
            for n in nodes
        ]
        return Markup("<ul>") + Markup("").join(items) + Markup("</ul>")

    return render(roots, 0)


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def write_docs(tbox: rdflib.Graph, store: Store, folder: Path) -> list[Path]:
    """Write index.html and one page per class and property into `folder` (replaced whole)."""
    pages, index = build_pages(tbox, store)
    env = environment()
    entity, front = env.get_template("docs_entity.html"), env.get_template("docs_index.html")
    work = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    written = []
    for page in pages:
        path = work / f"{page.local}.html"
        path.write_text(entity.render(page=page, index=index), encoding="utf-8")
        written.append(folder / path.name)
    (work / "index.html").write_text(front.render(index=index), encoding="utf-8")
    written.append(folder / "index.html")
    swap_in(work, folder)
    return written
