package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import javax.tools.DocumentationTool;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every public type, method and field of the API packages is documented, with every parameter
 * and return value: javadoc with doclint's full check set reports nothing but the notice that
 * the incubating Vector API module is in use. The javadoc jar that mvn install attaches is built
 * the same way (pom.xml); this test is what fails when a public member loses its comment.
 */
class ApiDocumentationTest {
    /** Not API: internals, the CLI application, the generated ONNX protobuf classes. */
    private static final String EXCLUDED = "dev.descent.internal:dev.descent.internal.workload:dev.descent.cli"
            + ":dev.descent.internal.onnx";

    @Test
    void everyPublicMemberOfTheApiIsDocumented() throws Exception {
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        Path out = Files.createTempDirectory("descent-javadoc");
        String sourcePath = "src/main/java" + File.pathSeparator + "target/generated-sources/protobuf/java";
        List<String> options = new ArrayList<>(List.of("-Xdoclint:all", "-Xmaxwarns", "10000", "-quiet",
                "--add-modules", "jdk.incubator.vector", "-d", out.toString(),
                "-cp", System.getProperty("java.class.path"), "-sourcepath", sourcePath,
                "-subpackages", "dev.descent", "-exclude", EXCLUDED));
        StringWriter log = new StringWriter();
        int rc = javadoc.getTask(log, null, null, null, options, null).call() ? 0 : 1;
        List<String> problems = log.toString().lines()
                .filter(l -> l.contains("warning:") || l.contains("error:"))
                .filter(l -> !l.contains("using incubating module"))
                .collect(Collectors.toList());
        assertEquals(List.of(), problems, "javadoc problems in the API packages");
        assertEquals(0, rc, log.toString());
        assertTrue(Files.isRegularFile(out.resolve("dev/descent/Session.html")), "javadoc wrote the API pages");
    }
}
