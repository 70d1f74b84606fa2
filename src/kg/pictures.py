"""Pictures step (run by the build): Graphviz diagrams of the model and of the evidence.

    model.svg / .png          the main classes (those that are a domain or range of an object
                              property, and their named superclasses), object properties as
                              labelled arrows, subclass links as hollow arrows, datatype
                              properties listed inside their class
    evidence-map.svg / .png   therapy -> disease, one arrow per pair, labelled with the outcome
                              numbers of the statements linking them (dashed: findings with a
                              direction and no number)

`dot` runs as a subprocess; without it the build warns and skips the pictures. The .dot files are
written too, sorted, so the same graph always gives the same picture.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import rdflib
from pyoxigraph import Store
from rdflib import OWL, RDF, RDFS, Literal, URIRef

from kg.vocab import GRAPHS, PREFIXES, SCAD

S = rdflib.Namespace(SCAD)
SKOS = rdflib.Namespace(PREFIXES["skos"])
FONT = "Helvetica"
PICTURES = ("model", "evidence-map")


# ---------------------------------------------------------------------------------------------
# Labels and numbers


def label(graph: rdflib.Graph, node: object, lang: str = "en") -> str:
    """The node's rdfs:label in `lang` (else any label, else its local name)."""
    labels = list(graph.objects(node, RDFS.label))
    for candidate in sorted(labels):
        if isinstance(candidate, Literal) and candidate.language == lang:
            return str(candidate)
    if labels:
        return str(sorted(labels)[0])
    text = str(node)
    return text[len(SCAD) :] if text.startswith(SCAD) else text.rsplit("/", 1)[-1]


def number(text: str) -> str:
    """A decimal as people write it: 80000000 -> 80,000,000; 0.50 -> 0.5; 1000000 -> 1,000,000."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class OutcomeNumbers:
    """The parts of one outcome, as plain strings (from rdflib or from a SPARQL row)."""

    measure: str = ""
    value: str | None = None
    lower: str | None = None
    upper: str | None = None
    lower_inclusive: str | None = None
    upper_inclusive: str | None = None
    approximate: str | None = None
    unit: str = ""
    follow_up: str | None = None
    follow_up_unit: str = ""

    def quantity(self) -> str:
        """`≈ 80,000,000 persons`, `30–50 %`, `> 4,000 patients`, `48 % (30–60)`."""
        unit = "" if not self.unit else (self.unit if self.unit == "%" else f" {self.unit}")
        approx = "≈ " if self.approximate == "true" else ""
        if self.lower is not None and self.upper is not None:
            bounds = f"{number(self.lower)}–{number(self.upper)}"
        elif self.lower is not None:
            bounds = ("≥ " if self.lower_inclusive != "false" else "> ") + number(self.lower)
        elif self.upper is not None:
            bounds = ("≤ " if self.upper_inclusive != "false" else "< ") + number(self.upper)
        else:
            bounds = ""
        if self.value is not None:
            text = f"{approx}{number(self.value)}{unit}"
            return f"{text} ({bounds})" if bounds else text
        return f"{approx}{bounds}{unit}" if bounds else ""

    def text(self) -> str:
        """`5-year survival: 48 %, at 5 year` — the measure, the number and the follow-up."""
        out = f"{self.measure}: {self.quantity()}" if self.measure else self.quantity()
        if self.follow_up is not None:
            unit = self.follow_up_unit
            if unit and number(self.follow_up) != "1" and not unit.endswith("s"):
                unit += "s"
            out += f", at {number(self.follow_up)} {unit}".rstrip()
        return out


def unit_label(graph: rdflib.Graph, unit: object) -> str:
    """A unit's short form: its altLabel if it has one ("%"), else its English label."""
    alt = sorted(str(a) for a in graph.objects(unit, SKOS.altLabel))
    return alt[0] if alt else label(graph, unit)


# ---------------------------------------------------------------------------------------------
# DOT text


def dot_string(text: str) -> str:
    """`text` as a quoted DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(node: object) -> str:
    return str(node)[len(SCAD) :]


def _ours(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(SCAD)


def _roots(tbox: rdflib.Graph, cls: URIRef) -> set[URIRef]:
    """The top-most named scad superclasses of `cls` (itself when it has none)."""
    supers = [s for s in tbox.objects(cls, RDFS.subClassOf) if _ours(s)]
    if not supers:
        return {cls}
    return set().union(*(_roots(tbox, s) for s in supers))


def _used_domains(tbox: rdflib.Graph, store: Store, prop: URIRef) -> set[URIRef]:
    """For a property without rdfs:domain: the root classes of the subjects that use it."""
    roots: set[URIRef] = set()
    rows = store.query(
        f"SELECT DISTINCT ?c WHERE {{ GRAPH <{GRAPHS['statements']}> {{ ?s <{prop}> ?o . ?s a ?c }} }}"
    )
    for row in rows:
        cls = URIRef(row["c"].value)
        if _ours(cls):
            roots |= _roots(tbox, cls)
    return roots


def model_dot(tbox: rdflib.Graph, store: Store) -> str:
    """The class diagram: main classes, object properties, subclass links, datatype properties."""
    edges: set[tuple[str, str, str, str]] = set()  # (from, to, label, style)
    classes: set[URIRef] = set()
    for prop in tbox.subjects(RDF.type, OWL.ObjectProperty):
        if not _ours(prop):
            continue
        ranges = {r for r in tbox.objects(prop, RDFS.range) if _ours(r)}
        domains = {d for d in tbox.objects(prop, RDFS.domain) if _ours(d)}
        style = "solid"
        if not domains:
            domains, style = _used_domains(tbox, store, prop), "dashed"
        for d in domains:
            for r in ranges:
                edges.add((_local(d), _local(r), label(tbox, prop), style))
                classes |= {d, r}
    todo = list(classes)
    while todo:  # add named superclasses, so the hierarchy shows
        for sup in tbox.objects(todo.pop(), RDFS.subClassOf):
            if _ours(sup) and sup not in classes:
                classes.add(sup)
                todo.append(sup)
    datatype: dict[URIRef, list[str]] = {}
    for prop in tbox.subjects(RDF.type, OWL.DatatypeProperty):
        rng = tbox.value(prop, RDFS.range)
        for d in tbox.objects(prop, RDFS.domain):
            if d in classes:
                kind = str(rng).rsplit("#", 1)[-1] if rng is not None else ""
                datatype.setdefault(d, []).append(f"{label(tbox, prop)}: {kind}")
    lines = [
        "digraph model {",
        f'  graph [rankdir=LR, fontname="{FONT}", nodesep=0.25, ranksep=0.6, '
        'label="SCAD model: main classes and object properties", labelloc=t, fontsize=16];',
        f'  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5b7db1", '
        f'fontname="{FONT}", fontsize=11];',
        f'  edge [fontname="{FONT}", fontsize=9, color="#555555"];',
    ]
    for cls in sorted(classes):
        title = f"<B>{_html(label(tbox, cls))}</B>"
        rows = "".join(
            f'<BR ALIGN="LEFT"/><FONT POINT-SIZE="9">{_html(r)}</FONT>'
            for r in sorted(datatype.get(cls, []))
        )
        lines.append(
            f"  {dot_string(_local(cls))} [label=<{title}{rows}>, "
            f'URL="/ontology/{_local(cls)}.html", tooltip={dot_string(str(cls))}];'
        )
    for cls in sorted(classes):
        for sup in sorted(tbox.objects(cls, RDFS.subClassOf)):
            if sup in classes:
                lines.append(
                    f"  {dot_string(_local(cls))} -> {dot_string(_local(sup))} "
                    '[arrowhead=empty, color="#999999", style=solid];'
                )
    for src, dst, text, style in sorted(edges):
        lines.append(
            f"  {dot_string(src)} -> {dot_string(dst)} [label={dot_string(text)}, style={style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


OUTCOME_ROWS = f"""SELECT ?t ?d ?m ?v ?lo ?hi ?li ?ui ?ap ?u ?fu ?fuu WHERE {{
  ?s <{S.therapy}> ?t ; <{S.condition}> ?d ; <{S.outcome}> ?o .
  OPTIONAL {{ ?o <{S.measure}> ?m }} OPTIONAL {{ ?o <{S.value}> ?v }}
  OPTIONAL {{ ?o <{S.lowerBound}> ?lo }} OPTIONAL {{ ?o <{S.upperBound}> ?hi }}
  OPTIONAL {{ ?o <{S.lowerBoundInclusive}> ?li }} OPTIONAL {{ ?o <{S.upperBoundInclusive}> ?ui }}
  OPTIONAL {{ ?o <{S.approximate}> ?ap }} OPTIONAL {{ ?o <{S.unit}> ?u }}
  OPTIONAL {{ ?o <{S.followUp}> ?fu }} OPTIONAL {{ ?o <{S.followUpUnit}> ?fuu }}
}}"""
DIRECTION_ROWS = f"""SELECT DISTINCT ?t ?d ?w WHERE {{
  ?s <{S.therapy}> ?t ; <{S.condition}> ?d ; <{S.direction}> ?w .
  FILTER NOT EXISTS {{ ?s <{S.outcome}> ?o }}
}}"""
MAX_NUMBERS = 6  # an arrow with more outcomes than this is summarised
MAX_ARROWS = 80  # a map with more therapy-disease pairs than this shows the busiest


def _names(store: Store, nodes: set[str]) -> rdflib.Graph:
    """Labels and alternative labels of `nodes`, fetched from the store in batches."""
    names = rdflib.Graph()
    ordered = sorted(nodes)
    for start in range(0, len(ordered), 500):
        values = " ".join(f"<{n}>" for n in ordered[start : start + 500])
        rows = store.query(
            f"SELECT ?n ?p ?l WHERE {{ VALUES ?n {{ {values} }} VALUES ?p {{ <{RDFS.label}> "
            f"<{SKOS.altLabel}> }} ?n ?p ?l }}",
            use_default_graph_as_union=True,
        )
        for row in rows:
            lit = row["l"]
            names.add(
                (
                    URIRef(row["n"].value),
                    URIRef(row["p"].value),
                    Literal(lit.value, lang=lit.language),
                )
            )
    return names


def evidence_dot(store: Store) -> str:
    """Therapy -> disease arrows labelled with outcome numbers (and directions without numbers);
    an arrow with many outcomes gives their count and a few of them."""
    rows = [
        {
            k: (None if row[k] is None else row[k].value)
            for k in ("t", "d", "m", "v", "lo", "hi", "li", "ui", "ap", "u", "fu", "fuu")
        }
        for row in store.query(OUTCOME_ROWS, use_default_graph_as_union=True)
    ]
    ways = [
        (row["t"].value, row["d"].value, row["w"].value)
        for row in store.query(DIRECTION_ROWS, use_default_graph_as_union=True)
    ]
    nodes = {r[k] for r in rows for k in ("t", "d", "m", "u", "fuu") if r[k] is not None}
    nodes |= {x for way in ways for x in way}
    graph = _names(store, nodes)
    numbers: dict[tuple[URIRef, URIRef], set[str]] = {}
    directions: dict[tuple[URIRef, URIRef], set[str]] = {}
    for r in rows:
        text = OutcomeNumbers(
            measure=label(graph, URIRef(r["m"])) if r["m"] else "",
            value=r["v"],
            lower=r["lo"],
            upper=r["hi"],
            lower_inclusive=r["li"],
            upper_inclusive=r["ui"],
            approximate=r["ap"],
            unit=unit_label(graph, URIRef(r["u"])) if r["u"] else "",
            follow_up=r["fu"],
            follow_up_unit=label(graph, URIRef(r["fuu"])) if r["fuu"] else "",
        ).text()
        numbers.setdefault((URIRef(r["t"]), URIRef(r["d"])), set()).add(text)
    for t, d, w in ways:
        directions.setdefault((URIRef(t), URIRef(d)), set()).add(label(graph, URIRef(w)))
    weight: dict[tuple[URIRef, URIRef], int] = {}
    for r in rows:
        pair = (URIRef(r["t"]), URIRef(r["d"]))
        weight[pair] = weight.get(pair, 0) + 1
    for t, d, _w in ways:
        weight[(URIRef(t), URIRef(d))] = weight.get((URIRef(t), URIRef(d)), 0) + 1
    left_out = 0
    if len(weight) > MAX_ARROWS:  # at size: the busiest pairs only, and how many are left out
        kept = set(sorted(weight, key=lambda pair: (-weight[pair], pair))[:MAX_ARROWS])
        left_out = len(weight) - MAX_ARROWS
        numbers = {pair: texts for pair, texts in numbers.items() if pair in kept}
        directions = {pair: texts for pair, texts in directions.items() if pair in kept}
    for pair, texts in numbers.items():
        if len(texts) > MAX_NUMBERS:
            shown = sorted(texts)[: MAX_NUMBERS - 1]
            numbers[pair] = {*shown, f"… {len(texts)} outcomes in all"}
    therapies = {t for t, _ in numbers} | {t for t, _ in directions}
    diseases = {d for _, d in numbers} | {d for _, d in directions}
    title = "SCAD evidence map: therapy → disease, with the article's numbers"
    if left_out:
        title += f" (the {MAX_ARROWS} busiest pairs; {left_out} more not drawn)"
    lines = [
        "digraph evidence {",
        f'  graph [rankdir=LR, fontname="{FONT}", nodesep=0.3, ranksep=2.2, '
        f"label={dot_string(title)}, labelloc=t, fontsize=16];",
        f'  node [fontname="{FONT}", fontsize=11, style=filled];',
        f'  edge [fontname="{FONT}", fontsize=9];',
    ]
    for t in sorted(therapies):
        lines.append(
            f"  {dot_string(_local(t))} [label={dot_string(label(graph, t))}, shape=box, "
            f'fillcolor="#e3f1e3", color="#4b8b4b", URL="/scad/{_local(t)}"];'
        )
    for d in sorted(diseases):
        lines.append(
            f"  {dot_string(_local(d))} [label={dot_string(label(graph, d))}, shape=ellipse, "
            f'fillcolor="#fbe9e7", color="#b5523b", URL="/scad/{_local(d)}"];'
        )
    for (t, d), texts in sorted(numbers.items()):
        lines.append(
            f"  {dot_string(_local(t))} -> {dot_string(_local(d))} "
            f'[label={dot_string(chr(10).join(sorted(texts)))}, color="#2f5f8f", penwidth=1.6];'
        )
    for (t, d), texts in sorted(directions.items()):
        if (t, d) not in numbers:
            lines.append(
                f"  {dot_string(_local(t))} -> {dot_string(_local(d))} "
                f'[label={dot_string(", ".join(sorted(texts)))}, style=dashed, color="#999999", '
                'fontcolor="#666666"];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Rendering


def svg(dot_text: str, timeout: float = 10.0) -> str:
    """The SVG Graphviz draws for `dot_text`, as text (for pictures drawn on request)."""
    done = subprocess.run(
        ["dot", "-Tsvg"], input=dot_text.encode(), capture_output=True, check=True, timeout=timeout
    )
    return done.stdout.decode()


def render(dot_text: str, target: Path, formats: Iterable[str] = ("svg", "png")) -> list[Path]:
    """Write target.dot and target.<fmt> for each format with Graphviz."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dot_file = target.with_suffix(".dot")
    dot_file.write_text(dot_text, encoding="utf-8")
    written = [dot_file]
    for fmt in formats:
        out = target.with_suffix(f".{fmt}")
        extra = ["-Gdpi=110"] if fmt == "png" else []
        subprocess.run(
            ["dot", f"-T{fmt}", *extra, "-o", str(out), str(dot_file)],
            check=True,
            capture_output=True,
        )
        written.append(out)
    return written


def write_pictures(
    tbox: rdflib.Graph,
    store: Store,
    folder: Path,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Both pictures into `folder`; without Graphviz a warning and nothing (the build goes on)."""
    if shutil.which("dot") is None:
        log("warning: Graphviz `dot` not found: pictures skipped (apt-get install graphviz)")
        return []
    written = render(model_dot(tbox, store), folder / "model.svg")
    written += render(evidence_dot(store), folder / "evidence-map.svg")
    return written
