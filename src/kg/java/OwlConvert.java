// Converts an OWL document (RDF/XML) to OWL/XML or functional syntax with the OWL API, the
// library Protégé is built on. Usage: java -cp "<this>:/usr/share/java/*" OwlConvert IN owx|ofn OUT
// The OWL API sorts axioms and entities when it renders, so the output is deterministic.
import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.FunctionalSyntaxDocumentFormat;
import org.semanticweb.owlapi.formats.OWLXMLDocumentFormat;
import org.semanticweb.owlapi.formats.PrefixDocumentFormat;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;

public class OwlConvert {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        PrefixDocumentFormat target = args[1].equals("ofn")
            ? new FunctionalSyntaxDocumentFormat() : new OWLXMLDocumentFormat();
        OWLDocumentFormat source = manager.getOntologyFormat(ontology);
        if (source instanceof PrefixDocumentFormat) {
            target.copyPrefixesFrom((PrefixDocumentFormat) source);
        }
        try (OutputStream out = new FileOutputStream(args[2])) {
            manager.saveOntology(ontology, target, out);
        }
    }
}
