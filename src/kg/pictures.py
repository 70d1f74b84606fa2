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
from rdflib import OWL, RDF, RDFS, Literal, URIRef

from kg.vocab import PREFIXES, SCAD

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


def outcome_numbers(graph: rdflib.Graph, outcome: object) -> OutcomeNumbers:
    def one(prop: URIRef) -> str | None:
        value = graph.value(outcome, prop)
        return None if value is None else str(value)

    measure, unit, fu_unit = (graph.value(outcome, p) for p in (S.measure, S.unit, S.followUpUnit))
    return OutcomeNumbers(
        measure=label(graph, measure) if measure is not None else "",
        value=one(S.value),
        lower=one(S.lowerBound),
        upper=one(S.upperBound),
        lower_inclusive=one(S.lowerBoundInclusive),
        upper_inclusive=one(S.upperBoundInclusive),
        approximate=one(S.approximate),
        unit=unit_label(graph, unit) if unit is not None else "",
        follow_up=one(S.followUp),
        follow_up_unit=label(graph, fu_unit) if fu_unit is not None else "",
    )


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


def _used_domains(tbox: rdflib.Graph, data: rdflib.Graph, prop: URIRef) -> set[URIRef]:
    """For a property without rdfs:domain: the root classes of the subjects that use it."""
    roots: set[URIRef] = set()
    for subject in set(data.subjects(prop, None)):
        for cls in data.objects(subject, RDF.type):
            if _ours(cls):
                roots |= _roots(tbox, cls)
    return roots


def model_dot(tbox: rdflib.Graph, data: rdflib.Graph) -> str:
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
            domains, style = _used_domains(tbox, data, prop), "dashed"
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


def evidence_dot(graph: rdflib.Graph) -> str:
    """Therapy -> disease arrows labelled with outcome numbers (and directions without numbers)."""
    numbers: dict[tuple[URIRef, URIRef], set[str]] = {}
    directions: dict[tuple[URIRef, URIRef], set[str]] = {}
    for stmt in set(graph.subjects(S.therapy, None)):
        diseases = sorted(graph.objects(stmt, S.condition))
        outcomes = [outcome_numbers(graph, o).text() for o in graph.objects(stmt, S.outcome)]
        ways = [label(graph, d) for d in graph.objects(stmt, S.direction)]
        for therapy in graph.objects(stmt, S.therapy):
            for disease in diseases:
                if outcomes:
                    numbers.setdefault((therapy, disease), set()).update(outcomes)
                elif ways:
                    directions.setdefault((therapy, disease), set()).update(ways)
    therapies = {t for t, _ in numbers} | {t for t, _ in directions}
    diseases = {d for _, d in numbers} | {d for _, d in directions}
    lines = [
        "digraph evidence {",
        f'  graph [rankdir=LR, fontname="{FONT}", nodesep=0.3, ranksep=2.2, '
        'label="SCAD evidence map: therapy → disease, with the article\'s numbers", '
        "labelloc=t, fontsize=16];",
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
    data: rdflib.Graph,
    folder: Path,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Both pictures into `folder`; without Graphviz a warning and nothing (the build goes on)."""
    if shutil.which("dot") is None:
        log("warning: Graphviz `dot` not found: pictures skipped (apt-get install graphviz)")
        return []
    union = tbox + data
    written = render(model_dot(tbox, data), folder / "model.svg")
    written += render(evidence_dot(union), folder / "evidence-map.svg")
    return written
