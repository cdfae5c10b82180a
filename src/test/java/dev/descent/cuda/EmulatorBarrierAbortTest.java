package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The emulator runs a kernel that reached no barrier in a launch without fibers from then on.
 * Should a later launch of it reach a barrier after all, the emulator must stop with a message,
 * not switch to a scheduler that is not there. It aborts the process, so the launches run in a
 * child JVM ({@link #main}) and the test reads its exit status and standard error.
 */
@Tag("emulator")
class EmulatorBarrierAbortTest {
    private static final String LIBRARY = System.getProperty("descent.cuda.emulator.test", "native/build/libdescent_cuda_emu.so");

    @Test
    void aBarrierInABarrierFreeKernelStopsTheProcessWithAMessage() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of(LIBRARY)) || System.getenv("CI") != null,
                "emulation library " + LIBRARY + " not built (make -C native emu)");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-D" + EmulatedDevice.PROPERTY + "=" + LIBRARY, EmulatorBarrierAbortTest.class.getName()))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        System.out.println("[emulation] child JVM exit " + p.exitValue() + ": " + output.lines()
                .filter(l -> l.startsWith("descent emulator") || l.startsWith("launched")).toList());
        assertTrue(output.contains("launched without a barrier"), output);
        assertTrue(output.contains("descent emulator: kernel probe_late_barrier reached __syncthreads()"), output);
        assertNotEquals(0, p.exitValue(), "the child must not exit normally");
        assertTrue(!output.contains("second launch returned"), output);
    }

    /** Child JVM: one launch without the barrier, then one with it (which must abort). */
    public static void main(String[] args) {
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory out = device.malloc(64 * 4);
            int probe = device.function("probe_late_barrier");
            device.launch(probe, 1, 1, 64, new KernelArgs().i(0).ptr(out, 0));
            float[] back = new float[64];
            device.download(out, 0, back, 0, 64);
            assertEquals(63f, back[63]);
            System.out.println("launched without a barrier");
            System.out.flush();
            device.launch(probe, 1, 1, 64, new KernelArgs().i(1).ptr(out, 0));
            System.out.println("second launch returned");
        }
    }
}
