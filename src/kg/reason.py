"""Reason step: owlready2 + HermiT check consistency and satisfiability and give the inferences.

The inferred graph holds what HermiT adds (direct types, subclass links) and the rdf:type closure
over named superclasses, so that `?x a scad:CellTherapy` finds every cell therapy over the union.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import owlready2
import rdflib
from rdflib import OWL, RDF, RDFS, URIRef

from kg.errors import ReasoningError

INFERENCES_ONTOLOGY = "http://inferrences/"  # owlready2's name for where sync_reasoner writes


def _require_java() -> None:
    java = shutil.which("java")
    if java is None:
        raise ReasoningError(
            "Java is needed for HermiT: run scripts/setup.sh (installs "
            "default-jre-headless) or put java on PATH"
        )
    owlready2.JAVA_EXE = java


def _named_superclasses(tbox: rdflib.Graph) -> dict[URIRef, set[URIRef]]:
    """Every named class with all its named superclasses (reflexive, transitive)."""
    direct: dict[URIRef, set[URIRef]] = {}
    for sub, sup in tbox.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct.setdefault(sub, set()).add(sup)
    for cls_a, cls_b in tbox.subject_objects(OWL.equivalentClass):
        if isinstance(cls_a, URIRef) and isinstance(cls_b, URIRef):
            direct.setdefault(cls_a, set()).add(cls_b)
            direct.setdefault(cls_b, set()).add(cls_a)
    closure: dict[URIRef, set[URIRef]] = {}
    for start in set(direct) | {c for cs in direct.values() for c in cs}:
        seen, todo = {start}, [start]
        while todo:
            for sup in direct.get(todo.pop(), ()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        closure[start] = seen
    return closure


def _run_hermit(merged: rdflib.Graph) -> rdflib.Graph:
    """Classify with HermiT; return what it inferred, or raise naming the problem."""
    _require_java()
    workdir = Path(tempfile.mkdtemp(prefix="kg-reason-"))
    try:
        owl_path = workdir / "merged.owl"
        merged.serialize(owl_path, format="xml")
        owlready2.set_log_level(0)
        world = owlready2.World(filename=str(workdir / "quadstore.sqlite3"))
        world.get_ontology(owl_path.as_uri()).load()
        tmpdir = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = str(workdir)  # owlready2 writes its temp file for HermiT here
        try:
            # Outside any `with ontology:` block, so that owlready2 puts what HermiT infers into
            # its separate inferences ontology instead of mixing it into ours.
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise ReasoningError(
                "HermiT finds the ontology inconsistent (check disjoint classes, "
                "functional properties and nominals in the latest change)"
            ) from exc
        except owlready2.OwlReadyJavaError as exc:
            raise ReasoningError(f"HermiT failed: {str(exc).strip().splitlines()[-1]}") from exc
        finally:
            if tmpdir is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = tmpdir
        unsatisfiable = sorted(
            c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing
        )
        if unsatisfiable:
            raise ReasoningError("unsatisfiable class(es): " + ", ".join(unsatisfiable))
        inferred_path = workdir / "inferred.nt"
        world.get_ontology(INFERENCES_ONTOLOGY).save(str(inferred_path), format="ntriples")
        world.close()
        inferred = rdflib.Graph()
        for s, p, o in rdflib.Graph().parse(inferred_path, format="nt"):
            if (
                isinstance(s, URIRef)
                and isinstance(o, URIRef)
                and p in (RDF.type, RDFS.subClassOf)
                and o != OWL.Ontology
            ):
                inferred.add((s, p, o))
        return inferred
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def reason(tbox: rdflib.Graph, data: rdflib.Graph) -> rdflib.Graph:
    """Inferred triples not already asserted: HermiT's findings plus the type closure."""
    merged = tbox + data
    hermit = _run_hermit(merged)
    supers = _named_superclasses(tbox + hermit)  # asserted and inferred subclass links
    candidates = set(hermit)
    for individual, cls in [*merged.subject_objects(RDF.type), *hermit.subject_objects(RDF.type)]:
        if isinstance(individual, URIRef) and isinstance(cls, URIRef):
            candidates.update((individual, RDF.type, sup) for sup in supers.get(cls, ()))
    skip = {OWL.Thing, OWL.NamedIndividual}
    inferred = rdflib.Graph()
    for s, p, o in candidates:
        if (s, p, o) not in merged and o not in skip and s != o:
            inferred.add((s, p, o))
    return inferred
