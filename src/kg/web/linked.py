"""Linked Data: every IRI of our namespace resolves here, and the build's pages and pictures.

    /scad/<local>       https://w3id.org/scad/<local> (w3id.org would redirect here): an HTML
                        page for a browser, its concise bounded description in Turtle, JSON-LD,
                        RDF/XML or N-Triples by Accept or format=; unknown IRI -> 404
    /ontology/          the ontology's documentation (kg.docs, written by the build)
    /ontology/<Name>    one page per class and property
    /pictures/          the model diagram and the evidence map (kg.pictures, written by the build)
    /context.jsonld     the JSON-LD context of our exports

The description of an entity is its triples in any graph, the triples of the blank nodes they
reach, of hash IRIs under it (`graph/ontology#void`) and, for a statement, of its outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from pyoxigraph import BlankNode, Literal, NamedNode, Store, Triple

from kg import export as ex
from kg.config import default_output
from kg.errors import KgError, StoreError
from kg.mediatypes import GRAPH_FORMATS, HTML, Format, by_name
from kg.pictures import OutcomeNumbers
from kg.query import with_values
from kg.vocab import PREFIXES, SCAD
from kg.web.dataset import get_store
from kg.web.negotiation import negotiate
from kg.web.neighbourhood import neighbourhood

bp = Blueprint("linked", __name__)

RDF_FORMATS = [by_name(n, GRAPH_FORMATS) for n in ("turtle", "jsonld", "rdfxml", "ntriples")]
OFFERED: list[Format] = [HTML] + [f for f in RDF_FORMATS if f is not None]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
OWL = PREFIXES["owl"]
LABEL = NamedNode(RDFS + "label")
TYPE = NamedNode(PREFIXES["rdf"] + "type")
OUTCOME = NamedNode(SCAD + "outcome")
STATEMENT = NamedNode(SCAD + "EvidenceStatement")
SHOWN_NEIGHBOURS = 200

STATEMENTS_ABOUT = """
PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?stmt ?role (SAMPLE(?s) AS ?summary) (SAMPLE(?l) AS ?loc) WHERE {
  ?stmt ?role ?entity ; a scad:EvidenceStatement .
  OPTIONAL { ?stmt scad:summary ?s FILTER(LANGMATCHES(LANG(?s), ?lang)) }
  OPTIONAL { ?stmt scad:locator/rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), ?lang)) }
} GROUP BY ?stmt ?role ORDER BY ?stmt ?role
"""
OUTCOME_PARTS = """
PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?o ?m ?value ?lower ?upper ?li ?ui ?approx ?unit ?fu ?fuu WHERE {
  ?stmt scad:outcome ?o .
  OPTIONAL { ?o scad:measure/rdfs:label ?m FILTER(LANGMATCHES(LANG(?m), ?lang)) }
  OPTIONAL { ?o scad:value ?value } OPTIONAL { ?o scad:lowerBound ?lower }
  OPTIONAL { ?o scad:upperBound ?upper } OPTIONAL { ?o scad:lowerBoundInclusive ?li }
  OPTIONAL { ?o scad:upperBoundInclusive ?ui } OPTIONAL { ?o scad:approximate ?approx }
  OPTIONAL { ?o scad:unit ?u . OPTIONAL { ?u skos:altLabel ?ua }
             OPTIONAL { ?u rdfs:label ?ul FILTER(LANGMATCHES(LANG(?ul), ?lang)) }
             BIND(COALESCE(?ua, ?ul) AS ?unit) }
  OPTIONAL { ?o scad:followUp ?fu }
  OPTIONAL { ?o scad:followUpUnit/rdfs:label ?fuu FILTER(LANGMATCHES(LANG(?fuu), ?lang)) }
} ORDER BY ?o
"""
SOURCES_OF = """
PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?src (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?doi) WHERE {
  ?stmt scad:source ?src .
  OPTIONAL { ?src rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), ?lang)) }
  OPTIONAL { ?src scad:doi ?d }
} GROUP BY ?src ORDER BY ?src
"""


def select(store: Store, text: str, **terms: NamedNode | Literal):
    """Run a SELECT over the union graph with `terms` bound by a VALUES clause at the start of
    its WHERE (kg.query.with_values)."""
    text = with_values(text, list(terms), [list(terms.values())])
    return store.query(text, use_default_graph_as_union=True)


def output_folder() -> Path:
    """Where the build wrote its pages and pictures: app config KG_OUTPUT, else $KG_OUTPUT."""
    return Path(current_app.config.get("KG_OUTPUT") or default_output())


# ---------------------------------------------------------------------------------------------
# Reading an entity from the store


def _triples(store: Store, subject: NamedNode | BlankNode) -> list[Triple]:
    seen, out = set(), []
    for quad in store.quads_for_pattern(subject, None, None, None):
        triple = Triple(quad.subject, quad.predicate, quad.object)
        if triple not in seen:
            seen.add(triple)
            out.append(triple)
    return out


def exists(store: Store, node: NamedNode) -> bool:
    patterns = ((node, None, None, None), (None, None, node, None), (None, node, None, None))
    if any(next(iter(store.quads_for_pattern(*p)), None) is not None for p in patterns):
        return True
    return next(iter(store.quads_for_pattern(None, None, None, node)), None) is not None


def hash_iris(store: Store, node: NamedNode) -> list[NamedNode]:
    """IRIs `<node>#…` used as subjects (they cannot be asked for on their own)."""
    results = select(
        store,
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(isIRI(?s) && STRSTARTS(STR(?s), CONCAT(STR(?node), '#'))) } ORDER BY ?s",
        node=node,
    )
    return [row["s"] for row in results]


def describe(store: Store, node: NamedNode) -> list[Triple]:
    """The concise bounded description of `node` (see the module docstring)."""
    out: list[Triple] = []
    todo: list[NamedNode | BlankNode] = [node, *hash_iris(store, node)]
    seen = set(todo)
    while todo:
        subject = todo.pop(0)
        for triple in _triples(store, subject):
            out.append(triple)
            obj = triple.object
            follow = isinstance(obj, BlankNode) or (subject == node and triple.predicate == OUTCOME)
            if follow and obj not in seen:
                seen.add(obj)
                todo.append(obj)
    if not out:  # a named graph: its content; an IRI only used as an object: what points at it
        content = store.quads_for_pattern(None, None, None, node)
        out = [Triple(q.subject, q.predicate, q.object) for q in content]
        if not out:
            pointing = store.quads_for_pattern(None, None, node, None)
            out = list(dict.fromkeys(Triple(q.subject, q.predicate, q.object) for q in pointing))
    return out


# ---------------------------------------------------------------------------------------------
# The HTML view


@dataclass
class Link:
    href: str
    text: str
    title: str = ""
    lang: str = ""
    external: bool = False


@dataclass
class StatementView:
    iri: str
    link: Link
    roles: list[str]
    summary: str
    locator: str
    numbers: list[str] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)


class Labeller:
    """Labels of terms in one language, looked up once per request."""

    def __init__(self, store: Store, lang: str):
        self.store, self.lang, self.cache = store, lang, {}

    def label(self, node) -> str:
        if node not in self.cache:
            found = {}
            for quad in self.store.quads_for_pattern(node, LABEL, None, None):
                if isinstance(quad.object, Literal):
                    found.setdefault(quad.object.language or "", quad.object.value)
            self.cache[node] = found.get(self.lang) or found.get("en") or found.get("")
        return self.cache[node] or short(node)

    def link(self, node) -> Link:
        if isinstance(node, Literal):
            return Link("", node.value, lang=node.language or "", title=_literal_title(node))
        if isinstance(node, BlankNode):
            return Link("", "(blank node)")
        iri = node.value
        if iri.startswith(SCAD):
            return Link("/scad/" + iri[len(SCAD) :], self.label(node), short(node))
        return Link(iri, self.label(node), short(node), external=True)


def _literal_title(node: Literal) -> str:
    if node.language:
        return f"@{node.language}"
    return short(node.datatype) if node.datatype else ""


def short(node) -> str:
    iri = getattr(node, "value", str(node))
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and iri != base:
            return f"{prefix}:{iri[len(base) :]}"
    return iri


def _texts(store: Store, node, prop: str) -> dict[str, str]:
    out = {}
    for quad in store.quads_for_pattern(node, NamedNode(prop), None, None):
        if isinstance(quad.object, Literal):
            out.setdefault(quad.object.language or "", quad.object.value)
    return out


def _value(term) -> str | None:
    return None if term is None else term.value


def statements_about(store: Store, node: NamedNode, names: Labeller) -> list[StatementView]:
    lang = Literal(names.lang)
    rows = select(store, STATEMENTS_ABOUT, entity=node, lang=lang)
    views: dict[str, StatementView] = {}
    for row in rows:
        stmt = row["stmt"]
        view = views.get(stmt.value)
        if view is None:
            view = views[stmt.value] = StatementView(
                stmt.value,
                names.link(stmt),
                [],
                _value(row["summary"]) or "",
                _value(row["loc"]) or "",
            )
        role = names.label(row["role"])
        if role not in view.roles:
            view.roles.append(role)
    for view in views.values():
        stmt = NamedNode(view.iri)
        view.numbers = outcome_texts(store, stmt, names.lang)
        for row in select(store, SOURCES_OF, stmt=stmt, lang=lang):
            link = names.link(row["src"])
            if row["doi"] is not None:
                link.title = f"doi:{row['doi'].value}"
                link.href, link.external = f"https://doi.org/{row['doi'].value}", True
            view.sources.append(link)
    return list(views.values())


def outcome_texts(store: Store, stmt: NamedNode, lang: str) -> list[str]:
    rows = select(store, OUTCOME_PARTS, stmt=stmt, lang=Literal(lang))
    texts: dict[str, str] = {}
    for r in rows:
        numbers = OutcomeNumbers(
            measure=_value(r["m"]) or "",
            value=_value(r["value"]),
            lower=_value(r["lower"]),
            upper=_value(r["upper"]),
            lower_inclusive=_value(r["li"]),
            upper_inclusive=_value(r["ui"]),
            approximate=_value(r["approx"]),
            unit=_value(r["unit"]) or "",
            follow_up=_value(r["fu"]),
            follow_up_unit=_value(r["fuu"]) or "",
        )
        texts.setdefault(r["o"].value, numbers.text())
    return list(texts.values())


def entity_page(store: Store, node: NamedNode, lang: str) -> str:
    names = Labeller(store, lang)
    own = [t for t in describe(store, node) if t.subject == node]
    properties: dict[str, list[Link]] = {}
    for t in sorted(own, key=lambda t: (str(t.predicate), str(t.object))):
        if t.predicate in (LABEL, NamedNode(SCAD + "summary"), NamedNode(SKOS + "definition")):
            continue
        properties.setdefault(names.label(t.predicate), []).append(names.link(t.object))
    incoming: dict[str, list[Link]] = {}
    shown = 0
    statement_views = statements_about(store, node, names)
    statement_iris = {v.iri for v in statement_views}
    for quad in store.quads_for_pattern(None, None, node, None):
        if shown >= SHOWN_NEIGHBOURS or quad.subject.value in statement_iris:
            continue
        link = names.link(quad.subject)
        role = names.label(quad.predicate)
        if all(x.href != link.href for x in incoming.get(role, [])):
            incoming.setdefault(role, []).append(link)
            shown += 1
    local = node.value[len(SCAD) :]
    is_term = any(
        t.predicate == TYPE
        and t.object.value.startswith(OWL)
        and t.object.value.rsplit("#", 1)[-1]
        in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")
        for t in own
    )
    docs = output_folder() / "ontology" / f"{local}.html"
    own_numbers = outcome_texts(store, node, lang)
    timeout = current_app.config["KG"].query_timeout
    drawing = neighbourhood(store, node, lang, timeout)  # kg.web.neighbourhood
    return render_template(
        "linked_entity.html",
        iri=node.value,
        local=local,
        labels=_texts(store, node, RDFS + "label"),
        definitions=_texts(store, node, SKOS + "definition"),
        summaries=_texts(store, node, SCAD + "summary"),
        properties=properties,
        numbers=own_numbers,
        statements=statement_views,
        incoming=incoming,
        docs_page=f"/ontology/{local}.html" if is_term and docs.exists() else "",
        formats=[f for f in OFFERED if f is not HTML],
        lang=lang,
        title=names.label(node),
        neighbourhood=drawing,
    )


# ---------------------------------------------------------------------------------------------
# Routes


def choose_format() -> Format | None:
    """format= wins; else the Accept header (HTML when there is none); None -> 406."""
    name = request.args.get("format")
    if name:
        return by_name(name, OFFERED)
    accept = request.headers.get("Accept")
    if not accept:
        return HTML
    chosen = negotiate(accept, [f.media_type for f in OFFERED])
    return next((f for f in OFFERED if f.media_type == chosen), None)


def _not_found(message: str, fmt: Format | None) -> Response:
    if fmt is HTML:
        body = render_template("linked_missing.html", message=message, title="Not found")
        return Response(body, status=404, mimetype="text/html")
    return Response(message + "\n", status=404, mimetype="text/plain")


@bp.get("/scad/")
def namespace() -> Response:
    return redirect("/ontology/", code=303)


@bp.get("/scad/<path:local>")
def resolve(local: str) -> Response:
    fmt = choose_format()
    if fmt is None:
        offered = ", ".join(f.media_type for f in OFFERED)
        return Response(f"not acceptable: this resource is offered as {offered}\n", status=406)
    try:
        node = NamedNode(SCAD + local)
    except ValueError:
        return _not_found(f"{SCAD}{local} is not a valid IRI", fmt)
    try:
        store = get_store()
        if not exists(store, node):
            return _not_found(f"{SCAD}{local} is not in this graph", fmt)
        if fmt is HTML:
            lang = request.args.get("lang", "en")
            body = entity_page(store, node, "zh" if lang == "zh" else "en")
            response = Response(body, mimetype="text/html")
        else:
            graph = ex.from_oxigraph(describe(store, node))
            response = Response(ex.serialize_graph(graph, fmt), mimetype=fmt.media_type)
    except StoreError as exc:
        return Response(f"{exc}\n", status=503, mimetype="text/plain")
    except KgError as exc:
        return Response(f"{exc}\n", status=500, mimetype="text/plain")
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ", ".join(
        f'</scad/{local}?format={f.name}>; rel="alternate"; type="{f.media_type}"'
        for f in OFFERED
        if f is not HTML
    )
    return response


@bp.get("/ontology/")
def ontology_index() -> Response:
    return ontology_page("index.html")


@bp.get("/ontology/<name>")
def ontology_page(name: str) -> Response:
    folder = output_folder() / "ontology"
    filename = name if name.endswith(".html") else f"{name}.html"
    if not (folder / filename).is_file():
        if not folder.is_dir():
            message = f"no documentation in {folder}: run `kg build`"
        else:
            message = f"no class or property named {name.removesuffix('.html')!r}"
        return _not_found(message, HTML)
    return send_from_directory(folder, filename, mimetype="text/html")


@bp.get("/pictures/")
def pictures_index() -> Response:
    folder = output_folder() / "pictures"
    names = sorted(p.stem for p in folder.glob("*.svg")) if folder.is_dir() else []
    return Response(
        render_template("linked_pictures.html", pictures=names, title="Pictures"),
        mimetype="text/html",
    )


@bp.get("/pictures/<name>")
def picture(name: str) -> Response:
    folder = output_folder() / "pictures"
    if not (folder / name).is_file() or not name.endswith((".svg", ".png", ".dot")):
        abort(404)
    mimetype = {"svg": "image/svg+xml", "png": "image/png", "dot": "text/vnd.graphviz"}
    return send_from_directory(folder, name, mimetype=mimetype[name.rsplit(".", 1)[-1]])


@bp.get("/context.jsonld")
def context() -> Response:
    response = Response(ex.context_document(), mimetype="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
