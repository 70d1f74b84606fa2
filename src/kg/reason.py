"""Reason step: HermiT classifies the TBox; rules run in Oxigraph give the data's consequences.

- **TBox**: owlready2 + HermiT classify the TBox together with what the data says about the few
  individuals the TBox itself names (the members of `owl:oneOf`, the values of `owl:hasValue`).
  That input is small and does not grow with the data; an inconsistency or an unsatisfiable class
  refuses the build, and the result is cached under the input's digest.
- **ABox**: the types every individual gets from the class hierarchy (HermiT's, so complete for
  named classes), from `rdfs:domain` / `rdfs:range` (through sub-properties) and from the defined
  classes (`owl:equivalentClass` of an intersection of named classes, `owl:hasValue` and
  `owl:someValuesFrom` restrictions: a donor type makes an `AllogeneicMSCT`) are materialised by
  SPARQL rules compiled from the TBox and run in the store until nothing new comes (OWL 2 RL's
  `cax-sco`, `prp-dom`, `prp-rng`, `prp-spo1`, `cls-int1/2`, `cls-hv1/2`, `cls-svf1`, `cls-oo`);
  each pass is a join over the data, so the cost is linear in it. The same rules refuse what
  would make the ontology inconsistent (`cax-dw`, `cax-adc`, `prp-fp` on data values,
  `cls-nothing2`, data ranges). A TBox axiom the rules do not cover stops the build rather than
  give an inferred graph that differs from HermiT's.

The inferred graph holds what is not asserted: HermiT's subclass links and every type above
(owl:Thing and owl:NamedIndividual left out), so that `?x a scad:CellTherapy` finds every cell
therapy over the union. `reason_with_hermit` is the former way, HermiT over TBox and data at
once: the reference the tests compare the rules with.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import owlready2
import pyoxigraph
import rdflib
from pyoxigraph import BlankNode, NamedNode, Store
from rdflib import OWL, RDF, RDFS, XSD, BNode, URIRef
from rdflib.collection import Collection

from kg.buildcache import CheckCache, digest
from kg.errors import ReasoningError
from kg.sources import DATA, TBOX
from kg.vocab import GRAPHS

INFERENCES_ONTOLOGY = "http://inferrences/"  # owlready2's name for where sync_reasoner writes
INFERRED = GRAPHS["inferred"]
DERIVED = "urn:kg:reason:derived"  # property values the rules derive; dropped at the end
ASSERTED = f"<{GRAPHS[TBOX]}> <{GRAPHS[DATA]}>"
TYPES = f"{ASSERTED} <{INFERRED}>"
VALUES_OF = f"{ASSERTED} <{DERIVED}>"
SKIP = {OWL.Thing, OWL.NamedIndividual}
RDF_TYPE = NamedNode(str(RDF.type))
MAX_PASSES = 50

# What the rules do not cover: an axiom of one of these kinds stops the build.
UNSUPPORTED_PREDICATES = {
    OWL.inverseOf,
    OWL.propertyChainAxiom,
    OWL.hasKey,
    OWL.allValuesFrom,
    OWL.maxCardinality,
    OWL.maxQualifiedCardinality,
    OWL.cardinality,
    OWL.qualifiedCardinality,
    OWL.complementOf,
    OWL.unionOf,
    OWL.disjointUnionOf,
    OWL.hasSelf,
    OWL.sameAs,
    OWL.differentFrom,
    OWL.propertyDisjointWith,
    OWL.equivalentProperty,
    OWL.onDatatype,
    OWL.datatypeComplementOf,
}
UNSUPPORTED_TYPES = {
    OWL.TransitiveProperty,
    OWL.SymmetricProperty,
    OWL.AsymmetricProperty,
    OWL.ReflexiveProperty,
    OWL.IrreflexiveProperty,
    OWL.InverseFunctionalProperty,
    OWL.AllDifferent,
    OWL.AllDisjointProperties,
    OWL.NegativePropertyAssertion,
}
# Literal datatypes that fit a datatype property's range (OWL 2's value spaces, the ones we use).
RANGE_FITS = {
    XSD.decimal: (XSD.decimal, XSD.integer, XSD.nonNegativeInteger),
    XSD.integer: (XSD.integer, XSD.nonNegativeInteger),
    XSD.nonNegativeInteger: (XSD.nonNegativeInteger,),
    XSD.boolean: (XSD.boolean,),
    XSD.string: (XSD.string,),
}


# ---------------------------------------------------------------------------------------------
# HermiT


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


def run_hermit(merged: rdflib.Graph) -> rdflib.Graph:
    """Classify with HermiT; return what it inferred (types and subclass links between named
    terms), or raise naming the problem."""
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


def _closure(asserted: rdflib.Graph, hermit: rdflib.Graph, tbox: rdflib.Graph) -> rdflib.Graph:
    """HermiT's findings plus the type closure over named superclasses, minus what is asserted."""
    supers = _named_superclasses(tbox + hermit)  # asserted and inferred subclass links
    candidates = set(hermit)
    for individual, cls in [*asserted.subject_objects(RDF.type), *hermit.subject_objects(RDF.type)]:
        if isinstance(individual, URIRef) and isinstance(cls, URIRef):
            candidates.update((individual, RDF.type, sup) for sup in supers.get(cls, ()))
    inferred = rdflib.Graph()
    for s, p, o in candidates:
        if (s, p, o) not in asserted and o not in SKIP and s != o:
            inferred.add((s, p, o))
    return inferred


def reason_with_hermit(tbox: rdflib.Graph, data: rdflib.Graph) -> rdflib.Graph:
    """The reference: HermiT over TBox and data together (its cost grows faster than the data)."""
    merged = tbox + data
    return _closure(merged, run_hermit(merged), tbox)


def nominals(tbox: rdflib.Graph) -> set[URIRef]:
    """The individuals the TBox names: members of owl:oneOf lists and owl:hasValue values."""
    found = {v for v in tbox.objects(None, OWL.hasValue) if isinstance(v, URIRef)}
    for members in tbox.objects(None, OWL.oneOf):
        found.update(m for m in Collection(tbox, members) if isinstance(m, URIRef))
    return found


def classify(tbox: rdflib.Graph, store: Store, cache: CheckCache) -> rdflib.Graph:
    """HermiT over the TBox and the facts about its nominals: its findings and their closure."""
    facts = rdflib.Graph()
    names = sorted(nominals(tbox))
    text = pyoxigraph.serialize(
        (q.triple for q in store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[TBOX]))),
        format=pyoxigraph.RdfFormat.N_TRIPLES,
    )
    if names:
        rows = store.query(
            "CONSTRUCT { ?n ?p ?o } WHERE { VALUES ?n { "
            + " ".join(f"<{n}>" for n in names)
            + f" }} GRAPH <{GRAPHS[DATA]}> {{ ?n ?p ?o }} }}"
        )
        found = pyoxigraph.serialize(rows, format=pyoxigraph.RdfFormat.N_TRIPLES)
        facts.parse(data=found, format="nt")
        text += found
    merged = tbox + facts
    # the key: the stored triples (blank nodes with their canonical labels), in sorted order
    key = digest("hermit", b"\n".join(sorted(text.splitlines())))
    cached = cache.get("hermit", key)
    if cached is not None:
        found = rdflib.Graph()
        for s, p, o in cached:
            found.add((URIRef(s), URIRef(p), URIRef(o)))
        return found
    found = _closure(merged, run_hermit(merged), tbox)
    cache.put(key, sorted([str(s), str(p), str(o)] for s, p, o in found))
    return found


# ---------------------------------------------------------------------------------------------
# Rules compiled from the TBox, run in the store


def _iri(node: object) -> str:
    return f"<{node}>"


def _where(tbox: rdflib.Graph, node: object) -> str:
    labels = [str(s) for s in tbox.subjects(None, node) if isinstance(s, URIRef)]
    return f" (in the axioms of {', '.join(_iri(x) for x in sorted(labels)[:3])})" if labels else ""


def _refuse_unsupported(tbox: rdflib.Graph, store: Store) -> None:
    for s, p, o in tbox:
        if p in UNSUPPORTED_PREDICATES or (p == RDF.type and o in UNSUPPORTED_TYPES):
            what = _iri(o) if p == RDF.type else _iri(p)
            subject = _iri(s) if isinstance(s, URIRef) else "a class expression" + _where(tbox, s)
            raise ReasoningError(
                f"the ABox rules do not cover {what} (used by {subject}); extend kg/reason.py "
                "so that the inferred graph stays equal to HermiT's"
            )
    for p in (OWL.sameAs, OWL.differentFrom):
        if store.query(f"ASK {{ VALUES ?g {{ {ASSERTED} }} GRAPH ?g {{ ?s <{p}> ?o }} }}"):
            raise ReasoningError(f"the ABox rules do not cover <{p}> in the data")
    for prop in (RDFS.domain, RDFS.range):
        for s, o in tbox.subject_objects(prop):
            if not isinstance(o, URIRef):
                raise ReasoningError(
                    f"the ABox rules cover named classes only as {_iri(prop)} (of {_iri(s)})"
                )


class Rules:
    """The SPARQL rules of one TBox (the hierarchy from HermiT's classification)."""

    def __init__(self, tbox: rdflib.Graph, hermit: rdflib.Graph):
        self.tbox = tbox
        self.supers = {
            c: {s for s in sups if s not in SKIP}
            for c, sups in _named_superclasses(tbox + hermit).items()
        }
        subprops: dict[URIRef, set[URIRef]] = {}
        for sub, sup in tbox.subject_objects(RDFS.subPropertyOf):
            subprops.setdefault(sup, set()).add(sub)
        self.subprops = subprops

    def up(self, cls: URIRef) -> set[URIRef]:
        """`cls` and its named superclasses (owl:Thing left out)."""
        return ({cls} | self.supers.get(cls, set())) - SKIP

    def below(self, prop: URIRef) -> set[URIRef]:
        """`prop` and its sub-properties, transitively."""
        found, todo = {prop}, [prop]
        while todo:
            for sub in self.subprops.get(todo.pop(), ()):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return found

    def _rule(
        self, head: str, variables: str, rows: Iterable[tuple[str, ...]], body: str, scan: bool
    ) -> str:
        """A CONSTRUCT of what `body` entails and the store does not hold yet (in any graph).

        `scan`: the body matches a large part of the data (a type or property over all of it):
        take the distinct heads, then those already known away (an anti-join, which Oxigraph
        does far faster than a NOT EXISTS per row); otherwise a NOT EXISTS per (few) row."""
        values = f"VALUES ({variables}) {{ {' '.join(f'({chr(32).join(r)})' for r in sorted(set(rows)))} }}"
        known = f"GRAPH ?known {{ {head} }}"
        if not scan:
            return f"CONSTRUCT {{ {head} }} WHERE {{ {values} {body} FILTER NOT EXISTS {{ {known} }} }}"
        bound = " ".join(dict.fromkeys(re.findall(r"\?\w+", head)))
        return (
            f"CONSTRUCT {{ {head} }} WHERE {{ {{ SELECT DISTINCT {bound} WHERE {{ {values} {body} }} }} "
            f"MINUS {{ {known} }} }}"
        )

    def closure(self) -> str:
        """cax-sco over the asserted types: every asserted type gets its superclasses."""
        pairs = [(_iri(c), _iri(s)) for c in self.supers for s in self.up(c) if s != c]
        return self._rule("?x a ?sup", "?c ?sup", pairs, "GRAPH ?g { ?x a ?c }", scan=True)

    def domains_ranges(self, graphs: str) -> list[str]:
        """prp-dom and prp-rng (through prp-spo1), the named class and all its superclasses;
        `graphs`: a VALUES clause for ?g, or "" for every graph."""
        rules = []
        for axiom, pattern in ((RDFS.domain, "?x ?p ?o"), (RDFS.range, "?o ?p ?x")):
            pairs = [
                (_iri(p), _iri(c))
                for prop, cls in self.tbox.subject_objects(axiom)
                for p in self.below(prop)
                for c in self.up(cls)
                if self.tbox.value(prop, RDF.type) != OWL.DatatypeProperty or axiom == RDFS.domain
            ]
            if pairs:
                body = f"{graphs} GRAPH ?g {{ {pattern} }} FILTER(!isLITERAL(?x))"
                rules.append(self._rule("?x a ?c", "?p ?c", pairs, body, scan=True))
        return rules

    def _restriction(self, node: BNode, n: int) -> str:
        """The pattern a member of an intersection asks of ?x (a restriction on a property)."""
        g = self.tbox
        prop = g.value(node, OWL.onProperty)
        props = " ".join(_iri(p) for p in sorted(self.below(prop)))
        value = g.value(node, OWL.hasValue)
        if value is not None:
            obj = value.n3() if isinstance(value, rdflib.Literal) else _iri(value)
            return f"VALUES ?p{n} {{ {props} }} GRAPH ?g{n} {{ ?x ?p{n} {obj} }}"
        filler = g.value(node, OWL.someValuesFrom)
        if isinstance(filler, URIRef):
            typed = "" if filler == OWL.Thing else f"GRAPH ?h{n} {{ ?y{n} a {_iri(filler)} }}"
            return f"VALUES ?p{n} {{ {props} }} GRAPH ?g{n} {{ ?x ?p{n} ?y{n} }} {typed}"
        raise ReasoningError(
            f"the ABox rules do not cover this restriction on {_iri(prop)}{_where(g, node)}"
        )

    def defined_classes(self) -> list[str]:
        """cls-int1 with cls-hv2 / cls-svf1: members of a defined class's conditions are in it."""
        rules = []
        for cls, definition in sorted(self.tbox.subject_objects(OWL.equivalentClass)):
            if not isinstance(cls, URIRef) or isinstance(definition, URIRef):
                continue  # named equivalents are in the hierarchy
            members = self.tbox.value(definition, OWL.intersectionOf)
            if self.tbox.value(definition, OWL.oneOf) is not None:
                continue  # cls-oo: see nominal_types
            parts = list(Collection(self.tbox, members)) if members is not None else [definition]
            body = []
            for n, part in enumerate(parts):
                if isinstance(part, URIRef):
                    body.append(f"GRAPH ?t{n} {{ ?x a {_iri(part)} }}")
                else:
                    body.append(self._restriction(part, n))
            heads = [(_iri(c),) for c in self.up(cls)]
            rules.append(self._rule("?x a ?c", "?c", heads, " ".join(body), scan=False))
        return rules

    def has_values(self) -> str | None:
        """cls-hv1: an instance of a class that is a subclass of `p value v` has p v (derived)."""
        triples = []
        for cls in set(self.supers) | set(self.tbox.subjects(RDF.type, OWL.Class)):
            if not isinstance(cls, URIRef):
                continue
            for sup in self.up(cls):
                conditions = list(self.tbox.objects(sup, RDFS.subClassOf))
                for definition in self.tbox.objects(sup, OWL.equivalentClass):
                    members = self.tbox.value(definition, OWL.intersectionOf)
                    if members is not None:
                        conditions += list(Collection(self.tbox, members))
                for node in conditions:
                    value = self.tbox.value(node, OWL.hasValue)
                    prop = self.tbox.value(node, OWL.onProperty)
                    if value is not None and prop is not None:
                        obj = value.n3() if isinstance(value, rdflib.Literal) else _iri(value)
                        triples.append((_iri(cls), _iri(prop), obj))
        if not triples:
            return None
        return self._rule("?x ?p ?v", "?c ?p ?v", triples, "GRAPH ?g { ?x a ?c }", scan=False)

    def nominal_types(self) -> list[pyoxigraph.Triple]:
        """cls-oo: the members of a class given by `owl:oneOf` are in it."""
        facts = []
        for cls, definition in self.tbox.subject_objects(OWL.equivalentClass):
            members = self.tbox.value(definition, OWL.oneOf)
            if isinstance(cls, URIRef) and members is not None:
                for m in Collection(self.tbox, members):
                    facts += [
                        pyoxigraph.Triple(NamedNode(m), RDF_TYPE, NamedNode(c))
                        for c in sorted(self.up(cls))
                        if isinstance(m, URIRef)
                    ]
        return facts


def _first(store: Store, query: str) -> list:
    return list(store.query(query + " LIMIT 10"))


def disjoint_groups(tbox: rdflib.Graph) -> list[list[URIRef]]:
    """Classes that share no member: each owl:AllDisjointClasses, each owl:disjointWith pair."""
    groups = [
        sorted(Collection(tbox, tbox.value(group, OWL.members)))
        for group in tbox.subjects(RDF.type, OWL.AllDisjointClasses)
    ]
    groups += [sorted(pair) for pair in tbox.subject_objects(OWL.disjointWith)]
    return sorted(g for g in groups if all(isinstance(c, URIRef) for c in g))


def check_consistency(store: Store, rules: Rules) -> None:
    """What OWL 2 RL finds inconsistent, on the asserted and inferred data. Each check is one
    scan (types are closed under the hierarchy, so a member of two disjoint classes is typed
    with both)."""
    found: list[str] = []
    for group in disjoint_groups(rules.tbox):
        members = " ".join(_iri(c) for c in group)
        for row in _first(
            store,
            f"SELECT ?x (GROUP_CONCAT(STR(?c); SEPARATOR=' and ') AS ?cs) WHERE {{ "
            f"VALUES ?c {{ {members} }} GRAPH ?g {{ ?x a ?c }} }} GROUP BY ?x "
            "HAVING (COUNT(DISTINCT ?c) > 1)",
        ):
            found.append(f"{row['x']} is a member of disjoint classes: {row['cs'].value}")
    for row in _first(store, f"SELECT ?x WHERE {{ GRAPH ?g {{ ?x a <{OWL.Nothing}> }} }}"):
        found.append(f"{row['x']} is a member of owl:Nothing")
    tbox = rules.tbox
    for prop in sorted(tbox.subjects(RDF.type, OWL.FunctionalProperty)):
        data_property = (prop, RDF.type, OWL.DatatypeProperty) in tbox
        props = " ".join(_iri(p) for p in sorted(rules.below(prop)))
        several = _first(
            store,
            f"SELECT ?x WHERE {{ VALUES ?p {{ {props} }} GRAPH ?g {{ ?x ?p ?v }} }} "
            "GROUP BY ?x HAVING (COUNT(DISTINCT ?v) > 1)",
        )
        if not several:
            continue
        who = " ".join(str(row["x"]) for row in several)
        # two terms may be one value ("1" and "1.0" as decimals): compare them as values
        for row in _first(
            store,
            f"SELECT ?x ?v ?w WHERE {{ VALUES ?x {{ {who} }} VALUES ?p {{ {props} }} "
            f"VALUES ?q {{ {props} }} GRAPH ?g {{ ?x ?p ?v }} GRAPH ?h {{ ?x ?q ?w }} "
            "FILTER(STR(?v) < STR(?w) && COALESCE(?v != ?w, true)) }",
        ):
            if data_property:
                found.append(
                    f"{row['x']} has two values of the functional property {_iri(prop)}: "
                    f"{row['v']} and {row['w']}"
                )
            else:
                found.append(
                    f"{row['x']} has two values of the functional property {_iri(prop)}, "
                    f"{row['v']} and {row['w']}: HermiT would take them for one individual, "
                    "which the rules do not cover"
                )
    for prop, rng in sorted(tbox.subject_objects(RDFS.range)):
        fits = RANGE_FITS.get(rng)
        if fits is None or (prop, RDF.type, OWL.DatatypeProperty) not in tbox:
            continue
        allowed = ", ".join(_iri(d) for d in fits)
        for row in _first(
            store,
            f"SELECT ?x ?v WHERE {{ GRAPH ?g {{ ?x {_iri(prop)} ?v }} "
            f"FILTER(isLITERAL(?v) && DATATYPE(?v) NOT IN ({allowed})) }}",
        ):
            found.append(
                f"{row['x']} has {row['v']} on {_iri(prop)}, outside its range {_iri(rng)}"
            )
    if found:
        raise ReasoningError(
            "the ontology is inconsistent with the data:\n" + "\n".join(f"  - {f}" for f in found)
        )


def _add(
    store: Store, triples: Iterable[pyoxigraph.Triple], values: bool = False, known: bool = True
) -> int:
    """Put new triples in the store (bulk: no transaction): types of IRIs in the inferred graph,
    property values and the types of blank nodes in the working graph; returns how many.
    `known=False`: some may be in the store already (the rules' CONSTRUCTs exclude those)."""
    new = {
        t
        for t in triples
        if known
        or next(iter(store.quads_for_pattern(t.subject, t.predicate, t.object)), None) is None
    }
    store.bulk_extend(
        pyoxigraph.Quad(
            t.subject,
            t.predicate,
            t.object,
            NamedNode(DERIVED if values or isinstance(t.subject, BlankNode) else INFERRED),
        )
        for t in new
    )
    return len(new)


def materialise(store: Store, rules: Rules, hermit: rdflib.Graph) -> int:
    """Run the rules to a fixed point into the inferred graph; return the passes it took.

    Each rule is a CONSTRUCT of only what is not in the store yet, added in bulk; a pass that
    adds nothing ends the run."""
    first = [rules.closure(), *rules.domains_ranges("")]  # every graph: the others hold types
    for rule in first:
        _add(store, store.query(rule))
    _add(store, rules.nominal_types(), known=False)
    values = rules.has_values()
    loop = [*rules.defined_classes(), *rules.domains_ranges(f"VALUES ?g {{ <{DERIVED}> }}")]
    passes = 0
    while passes < MAX_PASSES:
        passes += 1
        added = _add(store, store.query(values), values=True) if values else 0
        added += sum(_add(store, store.query(rule)) for rule in loop)
        if added == 0:
            break
    check_consistency(store, rules)
    store.remove_graph(NamedNode(DERIVED))
    _add(
        store,
        [
            pyoxigraph.Triple(NamedNode(s), NamedNode(p), NamedNode(o))
            for s, p, o in hermit
            if s != o and o not in SKIP
        ],
        known=False,
    )
    return passes


def reason(store: Store, tbox: rdflib.Graph, cache: CheckCache) -> str:
    """Fill the inferred graph of `store`; raise ReasoningError on what HermiT would refuse."""
    _refuse_unsupported(tbox, store)
    hermit = classify(tbox, store, cache)
    passes = materialise(store, Rules(tbox, hermit), hermit)
    return f"TBox classification: {cache.reused('hermit')}; ABox rules: {passes} pass(es)"
