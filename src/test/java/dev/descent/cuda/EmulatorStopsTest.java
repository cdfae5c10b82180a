package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kernel mistakes the emulator must stop at once rather than let pass. Each stops the process,
 * so the launches run in a child JVM ({@link #main}) and the test reads its exit status and
 * output; the child first makes the same launch correctly, to show the stop is the mistake's.
 */
@Tag("emulator")
class EmulatorStopsTest {
    private static final String LIBRARY = System.getProperty("descent.cuda.emulator.test", "native/build/libdescent_cuda_emu.so");

    /**
     * A kernel that reached no barrier in a launch runs without fibers from then on; should a
     * later launch reach a barrier after all, the emulator aborts with a message.
     */
    @Test
    void aBarrierInABarrierFreeKernelStopsTheProcessWithAMessage() throws Exception {
        String output = runChild("late-barrier");
        assertTrue(output.contains("descent emulator: kernel probe_late_barrier reached __syncthreads()"), output);
    }

    /** Every allocation ends at a guard page: one float past the end is a fault, not a silent write. */
    @Test
    void aWritePastTheEndOfAnAllocationFaults() throws Exception {
        String output = runChild("past-end");
        assertTrue(output.contains("SIGSEGV") && output.contains("probe_write_past_end"), output);
    }

    private static String runChild(String mode) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of(LIBRARY)) || System.getenv("CI") != null,
                "emulation library " + LIBRARY + " not built (make -C native emu)");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path dir = Files.createTempDirectory("descent-emu-stop");
        Process p = new ProcessBuilder(List.of(java, "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir + "/hs_err.log",
                "-cp", System.getProperty("java.class.path"), "-D" + EmulatedDevice.PROPERTY + "=" + LIBRARY,
                EmulatorStopsTest.class.getName(), mode)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        System.out.println("[emulation] " + mode + ": child JVM exit " + p.exitValue() + "; " + output.lines()
                .filter(l -> l.startsWith("descent emulator") || l.startsWith("correct") || l.contains("SIGSEGV"))
                .findFirst().orElse(""));
        assertTrue(output.contains("correct launch done"), output);
        assertNotEquals(0, p.exitValue(), "the child must not exit normally: " + output);
        assertTrue(!output.contains("faulty launch returned"), output);
        return output;
    }

    /** Child JVM: the probe's correct launch, then its faulty one (which must stop the process). */
    public static void main(String[] args) {
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory out = device.malloc(64 * 4);
            float[] back = new float[64];
            if (args[0].equals("late-barrier")) {
                int probe = device.function("probe_late_barrier");
                device.launch(probe, 1, 1, 64, new KernelArgs().i(0).ptr(out, 0));
                device.download(out, 0, back, 0, 64);
                assertEquals(63f, back[63]);
                report("correct launch done");
                device.launch(probe, 1, 1, 64, new KernelArgs().i(1).ptr(out, 0));
            } else {
                int probe = device.function("probe_write_past_end");
                device.launch(probe, 1, 1, 32, new KernelArgs().i(63).ptr(out, 0));  // the last float: fine
                device.download(out, 0, back, 0, 64);
                assertEquals(1f, back[63]);
                report("correct launch done");
                device.launch(probe, 1, 1, 32, new KernelArgs().i(64).ptr(out, 0));  // one past the end
            }
            report("faulty launch returned");
        }
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
