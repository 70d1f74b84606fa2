// Loads an OWL file with the OWL API (the library Protégé is built on) and reports what Protégé
// would warn about: unparsed triples, guessed declarations and OWL 2 DL profile violations.
// Prints one "KEY: value" line per figure and a line per problem; exit 0 when it is clean.
import java.io.File;
import java.util.*;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.formats.RDFDocumentFormat;

public class OwlCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        int problems = 0;
        OWLDocumentFormat format = manager.getOntologyFormat(ontology);
        System.out.println("FORMAT: " + format.getKey());
        System.out.println("AXIOMS: " + ontology.getAxiomCount());
        if (format instanceof RDFDocumentFormat) {
            RDFDocumentFormat rdf = (RDFDocumentFormat) format;
            Set<RDFTriple> unparsed = rdf.getOntologyLoaderMetaData()
                .map(m -> m.getUnparsedTriples().collect(java.util.stream.Collectors.toSet()))
                .orElse(Collections.emptySet());
            System.out.println("UNPARSED: " + unparsed.size());
            for (RDFTriple t : unparsed) { System.out.println("unparsed triple: " + t); problems++; }
            Set<?> guessed = rdf.getOntologyLoaderMetaData()
                .map(m -> m.getGuessedDeclarations().asMap().keySet()).orElse(Collections.emptySet());
            System.out.println("GUESSED: " + guessed.size());
            for (Object g : guessed) { System.out.println("guessed declaration: " + g); problems++; }
        }
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        System.out.println("DL_VIOLATIONS: " + report.getViolations().size());
        for (OWLProfileViolation v : report.getViolations()) {
            System.out.println("profile violation: " + v);
            problems++;
        }
        System.exit(problems == 0 ? 0 : 1);
    }
}
