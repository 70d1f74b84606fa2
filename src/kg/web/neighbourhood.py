"""The neighbourhood of an entity, drawn on its page: the entity, the statements about it and the
therapies, diseases, populations, outcomes, references (and mechanisms, limitations,
biomarkers) those statements name, as a Graphviz SVG whose nodes link to their own pages.

Bounded for hubs: at most MAX_STATEMENTS statements (SLE has many) and MAX_PER_STATEMENT
neighbours each are drawn, and the picture says how many statements it leaves out. The store
work is three queries whatever the hub's size (a count, one page of statements, their
neighbours with labels, their kinds), run by the executor with the query time limit; Graphviz
runs with the same limit. A drawing costs 20–40 ms here; it is part of the entity page, which
is cached (kg.web.conditional).
"""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode

from kg.pictures import FONT, dot_string, svg
from kg.query.executor import Executor, Rows
from kg.query.text import with_values
from kg.vocab import PREFIXES, SCAD

MAX_STATEMENTS = 10
MAX_PER_STATEMENT = 6
LABEL_CHARS = 30
STATEMENT = SCAD + "EvidenceStatement"
# What is drawn around the statements, in order of precedence for a node of several kinds:
# (class, kind, shape, fill, border).
KINDS = [
    (STATEMENT, "statement", "box", "#eef3fb", "#2f5f8f"),
    (SCAD + "Intervention", "therapy", "box", "#e3f1e3", "#4b8b4b"),
    (SCAD + "Disease", "disease", "ellipse", "#fbe9e7", "#b5523b"),
    (SCAD + "Population", "population", "ellipse", "#fdf3e1", "#b8860b"),
    (SCAD + "Outcome", "outcome", "note", "#f3ecfa", "#6a4c93"),
    (SCAD + "Reference", "reference", "folder", "#f2f2f2", "#666666"),
    (SCAD + "Mechanism", "mechanism", "hexagon", "#e6f4f6", "#2a7f8a"),
    (SCAD + "Limitation", "limitation", "octagon", "#fff0f0", "#a33"),
    (SCAD + "Biomarker", "biomarker", "diamond", "#f6f6e3", "#7a7a2a"),
]
KIND_NAMES_ZH = {
    "statement": "陈述",
    "therapy": "疗法",
    "disease": "疾病",
    "population": "人群",
    "outcome": "结局",
    "reference": "文献",
    "mechanism": "机制",
    "limitation": "局限",
    "biomarker": "生物标志物",
}

_COUNT = f"""PREFIX scad: <{SCAD}>
SELECT (COUNT(DISTINCT ?stmt) AS ?n) WHERE {{
  ?stmt a scad:EvidenceStatement .
  {{ ?stmt ?p ?entity }} UNION {{ ?stmt scad:population/scad:condition ?entity }}
}}"""
# The statements drawn: those with outcomes (numbers) first. Streamed in the store's order and
# cut at a few (no ORDER BY or GROUP BY over all of a hub's statements: at 10⁵ statements
# sorting SLE's 4,000 takes Oxigraph over 100 ms); the few are sorted here.
_STATEMENTS = f"""PREFIX scad: <{SCAD}>
SELECT DISTINCT ?stmt ?role WHERE {{
  {{ ?stmt ?role ?entity }} UNION {{ ?stmt scad:population ?pop . ?pop scad:condition ?entity
                                  BIND(scad:population AS ?role) }}
  ?stmt a scad:EvidenceStatement .
  FILTER({{numbers}} EXISTS {{ ?stmt scad:outcome ?o }})
}} LIMIT {MAX_STATEMENTS * 4}"""
# (FILTER … IN, not a VALUES block: Oxigraph joins an inner VALUES block first, over every
# member of the kinds.)
_KIND_LIST = ", ".join(f"<{cls}>" for cls, *_ in KINDS)
_AROUND = f"""SELECT ?stmt ?p ?o ?kind WHERE {{
  ?stmt ?p ?o . ?o a ?kind . FILTER(?kind IN ({_KIND_LIST}) && ?o != ?stmt)
}} ORDER BY ?stmt ?p ?o"""
_LABELS = f"""PREFIX rdfs: <{PREFIXES["rdfs"]}>
SELECT ?node ?label WHERE {{ ?node rdfs:label ?label }}"""
_TYPES = f"""SELECT ?node ?kind WHERE {{ ?node a ?kind . FILTER(?kind IN ({_KIND_LIST})) }}"""


@dataclass
class Drawing:
    """What the page shows: the SVG, and how many statements are left out."""

    svg: str
    statements: int  # about the entity, in all
    drawn: int
    kinds: list[tuple[str, str, str]] = field(default_factory=list)  # legend: name, fill, border

    @property
    def not_drawn(self) -> int:
        return self.statements - self.drawn


def _select(engine: Executor, query: str, name: str, terms: list[NamedNode]) -> Rows:
    """`query` with ?name bound to each of `terms` (kg.query.text.with_values)."""
    return engine.select(with_values(query, [name], [[term] for term in terms]))


def neighbourhood(
    engine: Executor, node: NamedNode, lang: str, timeout: float = 10.0
) -> Drawing | None:
    """The drawing for `node`'s page, or None when no statement is about it (or Graphviz is
    missing: the page goes without)."""
    kinds = _kinds(engine, [node])
    if STATEMENT in kinds.get(node.value, ()):
        total, statements = 1, [(node, None)]
    else:
        total = int(next(iter(_select(engine, _COUNT, "entity", [node])))["n"].value)
        if total == 0:
            return None
        statements = _drawn(engine, node)
    edges: list[tuple[str, str, str]] = []  # from, to, property
    nodes: dict[str, str] = {node.value: _kind_of(kinds.get(node.value, ()))}
    for stmt, via in statements:
        nodes.setdefault(stmt.value, "statement")
        if stmt != node:
            edges.append((stmt.value, node.value, via.value))
    around = _select(engine, _AROUND, "stmt", [s for s, _ in statements])
    per_statement: dict[str, int] = {}
    for row in around:
        stmt, obj = row["stmt"].value, row["o"].value
        if obj == node.value or not obj.startswith(SCAD):
            continue
        kind = next(k for cls, k, *_ in KINDS if cls == row["kind"].value)
        if obj in nodes and nodes[obj] != kind:  # several kinds: the first of KINDS wins
            order = [k for _, k, *_ in KINDS]
            kind = min(nodes[obj], kind, key=order.index)
        if per_statement.get(stmt, 0) >= MAX_PER_STATEMENT and obj not in nodes:
            continue
        per_statement[stmt] = per_statement.get(stmt, 0) + 1
        nodes[obj] = kind
        edges.append((stmt, obj, row["p"].value))
    edges = list(dict.fromkeys(edges))
    named = [NamedNode(iri) for iri in nodes] + [NamedNode(p) for p in {e[2] for e in edges}]
    labels = _labels(engine, named, lang)
    dot = _dot(node.value, nodes, edges, labels, lang)
    try:
        picture = svg(dot, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        logging.getLogger("kg.serve").warning("neighbourhood of %s not drawn: %s", node, exc)
        return None
    names = KIND_NAMES_ZH if lang == "zh" else {}
    legend = [
        (names.get(k, k), fill, border)
        for _, k, _shape, fill, border in KINDS
        if k in nodes.values()
    ]
    return Drawing(_inline(picture), total, len(statements), legend)


def _drawn(engine: Executor, node: NamedNode) -> list[tuple[NamedNode, NamedNode]]:
    """(statement, how it names `node`) of the statements drawn: those with numbers first."""
    drawn: list[tuple[NamedNode, NamedNode]] = []
    for numbers in ("", "NOT"):
        found: dict[NamedNode, NamedNode] = {}
        for row in _select(engine, _STATEMENTS.replace("{numbers}", numbers), "entity", [node]):
            found.setdefault(row["stmt"], row["role"])
        drawn += [(s, found[s]) for s in sorted(found, key=lambda s: s.value)]
        if len(drawn) >= MAX_STATEMENTS:
            break
    return drawn[:MAX_STATEMENTS]


def _labels(engine: Executor, nodes: list[NamedNode], lang: str) -> dict[str, str]:
    """One label per node: in `lang`, else English, else any (the smallest, to be stable)."""
    found: dict[str, dict[str, str]] = {}
    for row in _select(engine, _LABELS, "node", nodes):
        label: Literal = row["label"]
        by_lang = found.setdefault(row["node"].value, {})
        tag = label.language or ""
        if tag not in by_lang or label.value < by_lang[tag]:
            by_lang[tag] = label.value
    return {
        iri: by_lang.get(lang) or by_lang.get("en") or min(by_lang.values())
        for iri, by_lang in found.items()
    }


def _kinds(engine: Executor, nodes: list[NamedNode]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in _select(engine, _TYPES, "node", nodes):
        found.setdefault(row["node"].value, set()).add(row["kind"].value)
    return found


def _kind_of(classes: set[str]) -> str:
    return next((k for cls, k, *_ in KINDS if cls in classes), "entity")


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _href(iri: str, lang: str) -> str:
    return "/scad/" + iri[len(SCAD) :] + ("?lang=zh" if lang == "zh" else "")


def _dot(
    center: str,
    nodes: dict[str, str],
    edges: list[tuple[str, str, str]],
    labels: dict[str, str],
    lang: str,
) -> str:
    style = {k: (shape, fill, border) for _, k, shape, fill, border in KINDS}
    lines = [
        "digraph neighbourhood {",
        "  graph [rankdir=LR, nodesep=0.15, ranksep=0.9];",
        f'  node [fontname="{FONT}", fontsize=10, style=filled, height=0.3, margin="0.08,0.03"];',
        f'  edge [fontname="{FONT}", fontsize=8, color="#999999", fontcolor="#666666", '
        "arrowsize=0.5];",
    ]
    for iri, kind in nodes.items():
        shape, fill, border = style.get(kind, ("ellipse", "#ffffff", "#333333"))
        label = labels.get(iri) or iri[len(SCAD) :]
        extra = ', penwidth=2.5, fontsize=12, style="filled,bold"' if iri == center else ""
        lines.append(
            f"  {dot_string(iri)} [label={dot_string(_short(label))}, "
            f"tooltip={dot_string(label)}, shape={shape}, fillcolor={dot_string(fill)}, "
            f"color={dot_string(border)}, URL={dot_string(_href(iri, lang))}, "
            f'target="_top", class={dot_string("node-" + kind)}{extra}];'
        )
    # Three columns: the entity, its statements, what they name. The entity's edges are drawn
    # from it (dir=back keeps the arrow on the statement's property) and carry its role.
    for src, dst, prop in edges:
        if dst == center:
            role = labels.get(prop) or prop.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            lines.append(
                f"  {dot_string(dst)} -> {dot_string(src)} [dir=back, label={dot_string(role)}];"
            )
        else:
            lines.append(f"  {dot_string(src)} -> {dot_string(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _inline(picture: str) -> str:
    """The SVG element alone (no XML prolog or doctype), to put in the page."""
    start = picture.find("<svg")
    return re.sub(r"<!--.*?-->", "", picture[start:], flags=re.S).strip()
