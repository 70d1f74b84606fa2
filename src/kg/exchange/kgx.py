"""KGX TSV (`nodes.tsv`, `edges.tsv`): the graph for Biolink pipelines (KGX, Monarch, RTX-KG2).

Nodes are the graph's entities that have a Biolink category (from the TBox's skos alignments to
Biolink classes); edges are the therapy → condition pairs of the evidence statements (see
`kg.exchange.biolink`), each carrying the statement it comes from (`has_evidence`), its ECO
evidence type, its sources as publications, and the KL/AT values. Columns are Biolink slots only,
so the files validate against the Biolink model with closed classes.
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Store

from kg.errors import ExportError
from kg.exchange import biolink, tables, tsv

NODE_COLUMNS = (
    "id",
    "category",
    "name",
    "description",
    "xref",
    "synonym",
    "provided_by",
    "iri",
    "publication_type",
    "published_in",
)
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "category",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
    "has_evidence",
    "has_evidence_of_type",
    "name",
    "description",
)


def node_row(entity: tables.Entity) -> tuple:
    synonyms = tuple(sorted({*([entity.label_zh] if entity.label_zh else []), *entity.synonyms}))
    return (
        entity.id,
        entity.categories,
        entity.label_en,
        entity.description_en,
        entity.xrefs,
        synonyms,
        (biolink.INFORES,),
        entity.iri,
        entity.publication_types,
        _journal(entity),
    )


def _journal(entity: tables.Entity) -> str | None:
    """The journal of an article; Biolink gives `published_in` to `biolink:Article` only, so a
    guideline printed in a journal (a `biolink:Publication`) does not carry it here."""
    if "biolink:Article" not in entity.categories:
        return None
    return next((node for prop, node in entity.links if prop == "scad:journal"), None)


def edge_row(edge: biolink.Edge) -> tuple:
    return (
        edge.id,
        edge.subject,
        edge.predicate,
        edge.object,
        (edge.category,),
        edge.knowledge_level,
        edge.agent_type,
        edge.primary_knowledge_source,
        edge.publications,
        (edge.statement,),
        edge.evidence_types,
        edge.name,
        edge.description,
    )


def write(store: Store, folder: Path) -> dict[Path, int]:
    """Write nodes.tsv and edges.tsv into `folder`; return rows per file."""
    nodes_path, edges_path = folder / "nodes.tsv", folder / "edges.tsv"
    nodes: set[str] = set()

    def node_rows():
        for entity in tables.entities(store):
            if entity.categories:
                nodes.add(entity.id)
                yield node_row(entity)

    def edge_rows():
        for edge in biolink.edges(tables.statements(store)):
            for end in (edge.subject, edge.object):
                if end not in nodes:
                    raise ExportError(f"KGX edge {edge.id}: {end} has no Biolink category")
            yield edge_row(edge)

    with tsv.open_text(nodes_path) as out:
        n_nodes = tsv.write_rows(out, NODE_COLUMNS, node_rows(), "KGX nodes")
    with tsv.open_text(edges_path) as out:
        n_edges = tsv.write_rows(out, EDGE_COLUMNS, edge_rows(), "KGX edges")
    return {nodes_path: n_nodes, edges_path: n_edges}
