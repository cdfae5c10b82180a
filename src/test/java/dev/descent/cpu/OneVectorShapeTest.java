package dev.descent.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * All of descent's Vector API code uses the one species {@link VectorGemm#S}. C2's type profile
 * inside FloatVector.intoArray is shared by every caller: once vectors of two shapes have gone
 * through it, no store of either shape compiles to a vector instruction, every vector becomes an
 * object, and the kernels run several times slower (a pack that borrowed an 8-lane species beside
 * the 16-lane one did). No test of speed would see it in time; this one reads the sources.
 */
class OneVectorShapeTest {
    @Test
    void onlyVectorGemmChoosesASpecies() throws IOException {
        List<String> found = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                List<String> lines = Files.readAllLines(f);
                scanned++;
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (line.contains("SPECIES_") || line.contains("VectorSpecies.of(") || line.contains("VectorShape.")) {
                        found.add(f.getFileName() + ":" + (i + 1));
                    }
                }
            }
        }
        assertTrue(scanned > 50, "read " + scanned + " source files");
        // Only VectorGemm.species: the preferred shape, or the one -Ddescent.cpu.vectorBits names.
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.stream().allMatch(s -> s.startsWith("VectorGemm.java:")), found.toString());
    }
}
