package dev.descent.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Buf;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL backend's heap array must never be moved by the garbage collector
 * ({@link ImmovableHeap}). Before it was kept humongous, a small heap (a few thousand floats)
 * moved in young collections between a launch and a download, and on PoCL half of all downloads
 * came back wrong, with a JVM crash now and then.
 */
class OpenClHeapStaysPutTest {
    /** Garbage that fills the young generation, so a young collection runs. */
    private static Object sink;
    private static final int ITERATIONS = 25;

    private static long youngCollections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().filter(b -> b.getName().contains("Young"))
                .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    /** Allocates until a young collection has run (at most 30 s). */
    private static void churn() {
        long seen = youngCollections();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (youngCollections() == seen && System.nanoTime() < deadline) {
            for (int i = 0; i < 64; i++) {
                sink = new byte[16 * 1024];
            }
        }
    }

    @Test
    void youngCollectionsBetweenLaunchesAndDownloadsChangeNothing() {
        String unavailable = OpenClParityTest.probeOpenCl();
        Assumptions.assumeTrue(unavailable == null, "OpenCL tests skipped: " + unavailable);
        int n = 1000;
        long before = youngCollections();
        int checks = 0;
        try (OpenClBackend cl = OpenClBackend.open()) {
            Buf x = cl.allocate(n), y = cl.allocate(n);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = i;
            }
            cl.upload(v, 0, x, 0, n);
            float[] out = new float[n];
            for (int it = 0; it < ITERATIONS; it++) {
                cl.copy(x, 0, y, 0, n);       // the device writes y
                churn();                      // a young collection between two launches
                cl.fill(x, 0, 1, it);         // the device writes x[0]
                churn();                      // and one between a launch and a download
                cl.download(y, 0, out, 0, n);
                assertEquals(it == 0 ? 0f : it - 1, out[0], "y[0] at iteration " + it);
                assertEquals(999f, out[999], "y[999] at iteration " + it);
                cl.download(x, 0, out, 0, 1);
                assertEquals(it, out[0], "x[0] at iteration " + it);
                checks += 3;
            }
        }
        long collections = youngCollections() - before;
        assertTrue(collections >= 2 * ITERATIONS, "a young collection at every churn (" + collections + ")");
        System.out.println("[opencl] heap stays put: " + checks + " downloads checked across " + collections
                + " young collections");
    }

    /** Under a collector that moves large arrays, the backend refuses to open, with the fix in the message. */
    @Test
    void anotherCollectorIsRefusedWithTheReason() throws Exception {
        String unavailable = OpenClParityTest.probeOpenCl();
        Assumptions.assumeTrue(unavailable == null, "OpenCL tests skipped: " + unavailable);
        Path out = Files.createTempFile("descent-serial-gc", ".txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                OpenClHeapStaysPutTest.class.getName()))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM finished");
        String text = Files.readString(out);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("refused: OpenCL: the OpenCL backend needs the G1 garbage collector"), text);
        assertTrue(text.contains("-XX:+UseG1GC"), text);
    }

    /** The child of {@link #anotherCollectorIsRefusedWithTheReason}: opens the backend and says what happened. */
    public static void main(String[] args) {
        try (OpenClBackend cl = OpenClBackend.open()) {
            System.out.println("opened under " + cl.describe());
            System.exit(1);
        } catch (IllegalStateException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }
}
