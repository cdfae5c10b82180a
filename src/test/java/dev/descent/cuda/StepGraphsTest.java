package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backend;
import dev.descent.BackendOptions;
import dev.descent.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StepGraphsSuite} through JCuda on the emulated driver, which builds, updates and launches
 * graphs under the driver's rules (native/emu/emulated_graphs.cpp; its refusals are checked in
 * {@link EmulatedDriverTest}).
 */
@Tag("emulated-driver")
class StepGraphsTest extends StepGraphsSuite {

    @Override
    protected String prepare() {
        return EmulatedDriverTest.driverUnavailable();
    }

    @Override
    protected String label() {
        return "cuda (JCuda on the emulated driver, CUDA Graphs on)";
    }

    @Override
    protected CudaDevice openDevice(boolean graphs) {
        return JCudaDevice.open(0, graphs);
    }

    /** The typed option (and so -Ddescent.cuda.graphs, which defaults() reads) reaches the device. */
    @Test
    @Order(8)
    void theOptionTurnsGraphsOnAndOff() {
        try (Backend on = Backends.open("cuda", BackendOptions.defaults().withCudaGraphs(true));
             Backend off = Backends.open("cuda", BackendOptions.defaults().withCudaGraphs(false))) {
            assertTrue(((CudaBackend) on).device().graphs() != null, on.describe());
            assertTrue(on.describe().contains("CUDA Graphs on"), on.describe());
            assertTrue(((CudaBackend) off).device().graphs() == null, off.describe());
            assertFalse(off.describe().contains("Graphs"), off.describe());
        }
        assertFalse(new BackendOptions(null, 0, "auto", false).cudaGraphs(), "the four-setting constructor");
        count(4);
    }

    /**
     * {@code train --cuda-graphs} on the emulated driver: the backend line says graphs are on, and
     * the run prints exactly what the same run without graphs prints, test accuracy included.
     */
    @Test
    @Order(9)
    void theTrainCommandRunsWithGraphsAndPrintsWhatItPrintsWithout(@TempDir Path dir) throws Exception {
        StringBuilder rows = new StringBuilder("label,a,b,c,d\n");
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < 150; i++) {
            int label = i % 3;
            rows.append(label);
            for (int f = 0; f < 4; f++) {
                rows.append(',').append(String.format(java.util.Locale.ROOT, "%.4f", r.nextGaussian() + (f == label ? 2 : 0)));
            }
            rows.append('\n');
        }
        Path csv = Files.writeString(dir.resolve("three.csv"), rows);
        String[] args = {"train", "--backend", "cuda", "--csv", csv.toString(), "--hidden", "8", "--epochs", "3", "--lr", "0.05",
            "--batch-size", "16", "--quiet"};
        String without = trainOutput(args);
        String[] withGraphs = java.util.Arrays.copyOf(args, args.length + 1);
        withGraphs[args.length] = "--cuda-graphs";
        String with = trainOutput(withGraphs);
        assertTrue(with.contains("CUDA Graphs on") && !without.contains("CUDA Graphs on"), with);
        assertEquals(epochFigures(without), epochFigures(with), "every epoch's loss and accuracy, and the test accuracy");
        assertTrue(with.strip().lines().reduce((a, b) -> b).orElse("").startsWith("test accuracy: "), with);
        count(2);
    }

    private static String trainOutput(String... args) {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(0, dev.descent.cli.Main.run(args), "exit status of " + String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The output without the backend line and the timing columns (seconds, samples/s). */
    private static String epochFigures(String output) {
        return output.lines().filter(l -> !l.startsWith("backend:"))
                .map(l -> l.replaceAll("[0-9.]+ ?s\\b.*$", "")).reduce("", (a, b) -> a + b + "\n");
    }
}
