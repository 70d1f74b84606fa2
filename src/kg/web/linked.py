"""Linked Data: every IRI of our namespace resolves here, and the build's pages and pictures.

    /scad/<local>       https://w3id.org/scad/<local> (w3id.org would redirect here): an HTML
                        page for a browser (its statements 50 at a time, `?page=`), its concise
                        bounded description in Turtle, JSON-LD, RDF/XML or N-Triples by Accept or
                        format=; unknown IRI -> 404; a deprecated statement -> 301 to the
                        statement that replaces it (scad:replacedBy)
    /ontology/          the ontology's documentation (kg.docs, written by the build)
    /ontology/<Name>    one page per class and property
    /pictures/          the model diagram and the evidence map (kg.pictures, written by the build)
    /context.jsonld     the JSON-LD context of our exports

The description of an entity is Oxigraph's DESCRIBE (its triples and those of the blank nodes
they reach) of the entity, of its outcomes (for a statement) and of the VoID part of a named
graph; for an IRI that is only a graph name or an object, the triples that name it.

Every read goes through the served build's executor (kg.query): each page is a few queries with
the time limit and the row cap, whatever the size of the graph.
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
from pyoxigraph import Literal, NamedNode, QuerySolution

from kg import export as ex
from kg.errors import NotFound, ParameterError
from kg.mediatypes import HTML, TRIPLE_FORMATS, Format, by_name, choose
from kg.pictures import OutcomeNumbers
from kg.query.executor import Executor
from kg.vocab import OWL, RDFS, SCAD, SKOS, curie
from kg.web.conditional import cached
from kg.web.dataset import get_executor
from kg.web.neighbourhood import neighbourhood

bp = Blueprint("linked", __name__)

RDF_FORMATS = [by_name(n, TRIPLE_FORMATS) for n in ("turtle", "jsonld", "rdfxml", "ntriples")]
OFFERED: list[Format] = [HTML] + [f for f in RDF_FORMATS if f is not None]
PAGE_SIZE = 50  # statements per page of an entity
SHOWN_LINKS = 200  # incoming links shown (statements apart)
OWN_TRIPLES = 1000  # an entity's own triples shown at most

PROLOGUE = f"PREFIX scad: <{SCAD}>\nPREFIX rdfs: <{RDFS}>\nPREFIX skos: <{SKOS}>\n"
EXISTS = """ASK { { ?node ?p ?o } UNION { ?s ?p ?node } UNION { ?s ?node ?o }
  UNION { GRAPH ?node { ?s ?p ?o } } }"""
REPLACED = PROLOGUE + "SELECT ?new WHERE { ?node scad:replacedBy ?new } ORDER BY ?new LIMIT 1"
DESCRIBE = (
    PROLOGUE
    + """DESCRIBE ?node ?x WHERE {
  { ?node scad:outcome ?x } UNION { ?x scad:graph ?node } UNION { BIND(?node AS ?x) } }"""
)
GRAPH_CONTENT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?node { ?s ?p ?o } }"
POINTING = "CONSTRUCT { ?s ?p ?node } WHERE { ?s ?p ?node }"
OWN = (
    PROLOGUE
    + f"""SELECT ?node ?p ?o ?pl ?ol WHERE {{
  ?node ?p ?o .
  OPTIONAL {{ ?p rdfs:label ?pl }} OPTIONAL {{ ?o rdfs:label ?ol }}
}} LIMIT {OWN_TRIPLES}"""
)
COUNT_STATEMENTS = (
    PROLOGUE
    + """SELECT ?node (COUNT(DISTINCT ?stmt) AS ?n) WHERE {
  ?stmt ?role ?node . ?stmt a scad:EvidenceStatement } GROUP BY ?node"""
)
# A page of statements in the store's own order (the same for every request on one build), not
# by ORDER BY: sorting a hub's 4,000 statements at 10⁵ takes Oxigraph over 100 ms. A page is
# sorted here.
STATEMENTS_PAGE = (
    PROLOGUE
    + """SELECT ?node ?lang ?stmt ?role ?rl ?sl ?summary ?loc WHERE {{
  {{ SELECT DISTINCT ?node ?stmt WHERE {{ ?stmt ?r ?node . ?stmt a scad:EvidenceStatement }}
     LIMIT {limit:d} OFFSET {offset:d} }}
  ?stmt ?role ?node .
  OPTIONAL {{ ?role rdfs:label ?rl }}
  OPTIONAL {{ ?stmt rdfs:label ?sl }}
  OPTIONAL {{ ?stmt scad:summary ?summary FILTER(LANGMATCHES(LANG(?summary), ?lang)) }}
  OPTIONAL {{ ?stmt scad:locator/rdfs:label ?loc FILTER(LANGMATCHES(LANG(?loc), ?lang)) }}
}}"""
)
OUTCOMES = (
    PROLOGUE
    + """SELECT ?lang ?stmt ?o ?m ?value ?lower ?upper ?li ?ui ?approx ?unit ?fu ?fuu
WHERE {{
  VALUES ?stmt {{ {statements} }}
  ?stmt scad:outcome ?o .
  OPTIONAL {{ ?o scad:measure/rdfs:label ?m FILTER(LANGMATCHES(LANG(?m), ?lang)) }}
  OPTIONAL {{ ?o scad:value ?value }} OPTIONAL {{ ?o scad:lowerBound ?lower }}
  OPTIONAL {{ ?o scad:upperBound ?upper }} OPTIONAL {{ ?o scad:lowerBoundInclusive ?li }}
  OPTIONAL {{ ?o scad:upperBoundInclusive ?ui }} OPTIONAL {{ ?o scad:approximate ?approx }}
  OPTIONAL {{ ?o scad:unit ?u . OPTIONAL {{ ?u skos:altLabel ?ua }}
             OPTIONAL {{ ?u rdfs:label ?ul FILTER(LANGMATCHES(LANG(?ul), ?lang)) }}
             BIND(COALESCE(?ua, ?ul) AS ?unit) }}
  OPTIONAL {{ ?o scad:followUp ?fu }}
  OPTIONAL {{ ?o scad:followUpUnit/rdfs:label ?fuu FILTER(LANGMATCHES(LANG(?fuu), ?lang)) }}
}} ORDER BY ?stmt ?o"""
)
# Who asserts each statement (the article) and which works it is credited to (scad:source).
SOURCES = (
    PROLOGUE
    + """SELECT ?stmt ?role ?src ?label ?doi WHERE {{
  VALUES ?stmt {{ {statements} }}
  {{ ?stmt scad:assertedBy ?src BIND(scad:assertedBy AS ?role) }}
  UNION {{ ?stmt scad:source ?src BIND(scad:source AS ?role) }}
  OPTIONAL {{ ?src rdfs:label ?label }} OPTIONAL {{ ?src scad:doi ?doi }}
}} ORDER BY ?stmt ?role ?src"""
)
INCOMING = (
    PROLOGUE
    + f"""SELECT ?node ?s ?p ?sl ?pl WHERE {{
  ?s ?p ?node . FILTER(isIRI(?s))
  FILTER NOT EXISTS {{ ?s a scad:EvidenceStatement }}
  OPTIONAL {{ ?s rdfs:label ?sl }} OPTIONAL {{ ?p rdfs:label ?pl }}
}} LIMIT {SHOWN_LINKS * 4}"""
)
TERM_KINDS = {
    OWL + k for k in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")
}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ASSERTED_BY, CREDITED_TO = SCAD + "assertedBy", SCAD + "source"
TEXTS = {
    RDFS + "label": "labels",
    SKOS + "definition": "definitions",
    SCAD + "summary": "summaries",
}


def output_folder() -> Path:
    """Where the build wrote its pages and pictures (KG_OUTPUT)."""
    return Path(current_app.config["KG"].output)


# ---------------------------------------------------------------------------------------------
# Reading an entity


def exists(engine: Executor, node: NamedNode) -> bool:
    return engine.ask(EXISTS, node=node)


def describe(engine: Executor, node: NamedNode) -> list:
    """The description of `node` (see the module docstring), as pyoxigraph triples."""
    for query in (DESCRIBE, GRAPH_CONTENT, POINTING):
        triples = engine.triples(query, node=node)
        if triples:
            return triples
    return []


def _pick(labels: dict[str, str], lang: str, fallback: str) -> str:
    return labels.get(lang) or labels.get("en") or labels.get("") or fallback


def _add_label(labels: dict[str, dict[str, str]], key: str, term: Literal | None) -> None:
    if isinstance(term, Literal):
        labels.setdefault(key, {}).setdefault(term.language or "", term.value)


@dataclass
class Link:
    href: str
    text: str
    title: str = ""
    lang: str = ""
    external: bool = False


def link_to(term, label: str = "") -> Link:  # noqa: ANN001 - a pyoxigraph term
    """A link to a term: our IRIs to their page here, others to themselves; literals as text."""
    if isinstance(term, Literal):
        title = f"@{term.language}" if term.language else curie(term.datatype.value)
        return Link("", term.value, lang=term.language or "", title=title)
    if not isinstance(term, NamedNode):
        return Link("", "(blank node)")
    iri = term.value
    if iri.startswith(SCAD):
        return Link("/scad/" + iri[len(SCAD) :], label or curie(iri), curie(iri))
    return Link(iri, label or curie(iri), curie(iri), external=True)


@dataclass
class StatementView:
    iri: str
    link: Link
    roles: list[str]
    summary: str
    locator: str
    numbers: list[str] = field(default_factory=list)
    asserted_by: list[Link] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)  # the works it is credited to


@dataclass
class Page:
    """Which statements of an entity a page shows."""

    number: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * PAGE_SIZE

    @property
    def last(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def first_shown(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_shown(self) -> int:
        return min(self.total, self.offset + PAGE_SIZE)


def _values(iris: list[str]) -> str:
    """A VALUES list of IRIs, written by pyoxigraph (checked terms, never raw text)."""
    return " ".join(str(NamedNode(iri)) for iri in iris)


def outcome_texts(engine: Executor, statements: list[str], lang: str) -> dict[str, list[str]]:
    """Statement IRI -> the text of each of its outcomes (`mortality: 30–50 %`)."""
    if not statements:
        return {}
    rows = engine.select(OUTCOMES.format(statements=_values(statements)), lang=Literal(lang))
    texts: dict[str, dict[str, str]] = {}
    for r in rows:
        value = {k: (r[k].value if r[k] is not None else None) for k in _OUTCOME_PARTS}
        numbers = OutcomeNumbers(
            measure=value["m"] or "",
            value=value["value"],
            lower=value["lower"],
            upper=value["upper"],
            lower_inclusive=value["li"],
            upper_inclusive=value["ui"],
            approximate=value["approx"],
            unit=value["unit"] or "",
            follow_up=value["fu"],
            follow_up_unit=value["fuu"] or "",
        )
        texts.setdefault(r["stmt"].value, {}).setdefault(r["o"].value, numbers.text())
    return {stmt: list(by_outcome.values()) for stmt, by_outcome in texts.items()}


_OUTCOME_PARTS = ("m", "value", "lower", "upper", "li", "ui", "approx", "unit", "fu", "fuu")


def statements_about(
    engine: Executor, node: NamedNode, lang: str, page: Page
) -> list[StatementView]:
    text = STATEMENTS_PAGE.format(limit=PAGE_SIZE, offset=page.offset)
    views: dict[str, StatementView] = {}
    labels: dict[str, dict[str, str]] = {}
    for row in engine.select(text, node=node, lang=Literal(lang)):
        stmt, role = row["stmt"].value, row["role"].value
        _add_label(labels, stmt, row["sl"])
        _add_label(labels, role, row["rl"])
        view = views.get(stmt)
        if view is None:
            view = views[stmt] = StatementView(stmt, link_to(row["stmt"]), [], "", "")
        if role not in view.roles:
            view.roles.append(role)
        if row["summary"] is not None and not view.summary:
            view.summary = row["summary"].value
        if row["loc"] is not None and not view.locator:
            view.locator = row["loc"].value
    if not views:
        return []
    ordered = [views[k] for k in sorted(views)]
    numbers = outcome_texts(engine, list(views), lang)
    sources: dict[tuple[str, str], dict[str, Link]] = {}
    source_labels: dict[str, dict[str, str]] = {}
    for row in engine.select(SOURCES.format(statements=_values(list(views)))):
        _add_label(source_labels, row["src"].value, row["label"])
        link = sources.setdefault((row["stmt"].value, row["role"].value), {}).setdefault(
            row["src"].value, link_to(row["src"])
        )
        if row["doi"] is not None:
            link.title = f"doi:{row['doi'].value}"
            link.href, link.external = f"https://doi.org/{row['doi'].value}", True
    for view in ordered:
        view.link.text = _pick(labels.get(view.iri, {}), lang, view.link.text)
        view.roles = [_pick(labels.get(r, {}), lang, curie(r)) for r in view.roles]
        view.numbers = numbers.get(view.iri, [])
        for role, found in ((ASSERTED_BY, view.asserted_by), (CREDITED_TO, view.sources)):
            for iri, link in sources.get((view.iri, role), {}).items():
                link.text = _pick(source_labels.get(iri, {}), lang, link.text)
                found.append(link)
    return ordered


def entity_page(engine: Executor, node: NamedNode, lang: str, page_number: int) -> str:
    own = engine.select(OWN, node=node)
    texts: dict[str, dict[str, str]] = {"labels": {}, "definitions": {}, "summaries": {}}
    labels: dict[str, dict[str, str]] = {}
    triples: dict[tuple[str, str], tuple] = {}
    is_term = False
    for row in own:
        p, o = row["p"], row["o"]
        if p.value in TEXTS and isinstance(o, Literal):
            texts[TEXTS[p.value]].setdefault(o.language or "", o.value)
            continue
        is_term = is_term or (p.value == RDF_TYPE and o.value in TERM_KINDS)
        _add_label(labels, p.value, row["pl"])
        _add_label(labels, str(o), row["ol"])
        triples.setdefault((p.value, str(o)), (p, o))
    properties: dict[str, list[Link]] = {}
    for (p_iri, o_key), (_p, o) in sorted(triples.items()):
        name = _pick(labels.get(p_iri, {}), lang, curie(p_iri))
        properties.setdefault(name, []).append(link_to(o, _pick(labels.get(o_key, {}), lang, "")))
    count = engine.select(COUNT_STATEMENTS, node=node)
    page = Page(page_number, int(count[0]["n"].value) if count else 0)
    if page_number > page.last:
        raise ParameterError("page", f"a page number from 1 to {page.last}", str(page_number))
    statement_views = statements_about(engine, node, lang, page)
    incoming = _incoming(engine.select(INCOMING, node=node), lang)
    local = node.value[len(SCAD) :]
    docs = output_folder() / "ontology" / f"{local}.html"
    drawing = neighbourhood(engine, node, lang, current_app.config["KG"].query_timeout)
    return render_template(
        "linked_entity.html",
        iri=node.value,
        local=local,
        labels=texts["labels"],
        definitions=texts["definitions"],
        summaries=texts["summaries"],
        properties=properties,
        numbers=outcome_texts(engine, [node.value], lang).get(node.value, []),
        statements=statement_views,
        page=page,
        incoming=incoming,
        docs_page=f"/ontology/{local}.html" if is_term and docs.exists() else "",
        formats=[f for f in OFFERED if f is not HTML],
        lang=lang,
        title=_pick(texts["labels"], lang, curie(node.value)),
        neighbourhood=drawing,
    )


def _incoming(rows: list[QuerySolution], lang: str) -> dict[str, list[Link]]:
    """Role -> the entities (statements apart) that link to the entity, SHOWN_LINKS at most."""
    labels: dict[str, dict[str, str]] = {}
    pairs: dict[tuple[str, str], tuple] = {}
    for row in rows:
        _add_label(labels, row["s"].value, row["sl"])
        _add_label(labels, row["p"].value, row["pl"])
        pairs.setdefault((row["p"].value, row["s"].value), (row["p"], row["s"]))
    out: dict[str, list[Link]] = {}
    for (p_iri, s_iri), (_p, s) in list(sorted(pairs.items()))[:SHOWN_LINKS]:
        role = _pick(labels.get(p_iri, {}), lang, curie(p_iri))
        out.setdefault(role, []).append(link_to(s, _pick(labels.get(s_iri, {}), lang, "")))
    return out


# ---------------------------------------------------------------------------------------------
# Routes


def replacement(engine: Executor, node: NamedNode) -> Response | None:
    """A deprecated statement's IRI answers 301 with the replacement's page (query kept), and
    says so in its body and a `Link: rel="successor-version"` header."""
    rows = list(engine.select(REPLACED, node=node))
    if not rows:
        return None
    new = rows[0]["new"].value
    target = "/scad/" + new.removeprefix(SCAD) if new.startswith(SCAD) else new
    query = request.query_string.decode("ascii", "replace")
    response = redirect(target + (f"?{query}" if query else ""), code=301)
    response.headers["Link"] = f'<{new}>; rel="successor-version"'
    response.set_data(f"{node.value} is deprecated; it is replaced by {new}\n")
    response.mimetype = "text/plain"
    return response


@bp.get("/scad/")
def namespace() -> Response:
    return redirect("/ontology/", code=303)


@bp.get("/scad/<path:local>")
@cached
def resolve(local: str) -> Response:
    fmt = choose(OFFERED, request.args.get("format"), request.headers.get("Accept"))
    try:
        node = NamedNode(SCAD + local)
    except ValueError:
        raise NotFound(f"{SCAD}{local} is not a valid IRI") from None
    engine = get_executor()
    if not exists(engine, node):
        raise NotFound(f"{SCAD}{local} is not in this graph")
    replaced = replacement(engine, node)
    if replaced is not None:
        return replaced
    if fmt is HTML:
        lang = "zh" if request.args.get("lang") == "zh" else "en"
        page = _page_number(request.args.get("page"))
        response = Response(entity_page(engine, node, lang, page), mimetype="text/html")
    else:
        graph = ex.from_oxigraph(describe(engine, node))
        response = Response(ex.serialize_graph(graph, fmt), mimetype=fmt.media_type)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ", ".join(
        f'</scad/{local}?format={f.name}>; rel="alternate"; type="{f.media_type}"'
        for f in OFFERED
        if f is not HTML
    )
    return response


def _page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ParameterError("page", "a page number from 1", raw)
    return int(raw)


@bp.get("/ontology/")
@cached
def ontology_index() -> Response:
    return ontology_page("index.html")


@bp.get("/ontology/<name>")
@cached
def ontology_page(name: str) -> Response:
    folder = output_folder() / "ontology"
    filename = name if name.endswith(".html") else f"{name}.html"
    if not (folder / filename).is_file():
        if not folder.is_dir():
            abort(404, f"no documentation in {folder}: run `kg build`")
        abort(404, f"no class or property named {name.removesuffix('.html')!r}")
    return send_from_directory(folder, filename, mimetype="text/html")


@bp.get("/pictures/")
@cached
def pictures_index() -> Response:
    folder = output_folder() / "pictures"
    names = sorted(p.stem for p in folder.glob("*.svg")) if folder.is_dir() else []
    return Response(
        render_template("linked_pictures.html", pictures=names, title="Pictures"),
        mimetype="text/html",
    )


@bp.get("/pictures/<name>")
@cached
def picture(name: str) -> Response:
    folder = output_folder() / "pictures"
    if not (folder / name).is_file() or not name.endswith((".svg", ".png", ".dot")):
        abort(404, f"no picture named {name!r}")
    mimetype = {"svg": "image/svg+xml", "png": "image/png", "dot": "text/vnd.graphviz"}
    return send_from_directory(folder, name, mimetype=mimetype[name.rsplit(".", 1)[-1]])


@bp.get("/context.jsonld")
@cached
def context() -> Response:
    return Response(ex.context_document(), mimetype="application/ld+json")
