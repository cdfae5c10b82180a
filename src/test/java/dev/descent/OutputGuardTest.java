package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.cpu.ReferenceBackend;
import dev.descent.optim.Sgd;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard on the update's output, on the two CPU backends (the device suites run the same checks). */
class OutputGuardTest {
    @TempDir
    Path dir;

    @Test
    void overflowingUpdatesAreHeldBackOnTheCpuBackends() {
        try (Backend cpu = new CpuBackend(); Backend scalarCpu = new CpuBackend(2, false);
             Backend reference = new ReferenceBackend()) {
            int n = GuardChecks.overflowingUpdatesAreHeldBack(cpu, 1)
                    + GuardChecks.overflowingUpdatesAreHeldBack(scalarCpu, 2)
                    + GuardChecks.overflowingUpdatesAreHeldBack(reference, 3);
            assertEquals(3 * 10 * GuardChecks.OVERFLOWING.size(), n);
        }
    }

    @Test
    void divergingRunHaltsWithFiniteParametersOnTheCpuBackends() {
        assertEquals(6, GuardChecks.divergingRunHaltsWithFiniteParameters(CpuBackend::new, dir));
        assertEquals(6, GuardChecks.divergingRunHaltsWithFiniteParameters(ReferenceBackend::new, dir));
    }

    @Test
    void misuseThrowsOrIsSerialisedOnTheCpuBackends() throws Exception {
        assertEquals(11, MisuseChecks.useAfterCloseThrows(CpuBackend::new));
        assertEquals(11, MisuseChecks.useAfterCloseThrows(ReferenceBackend::new));
        assertEquals(3, MisuseChecks.sharedBackendAcrossThreads(CpuBackend::new));
        assertEquals(3, MisuseChecks.sharedBackendAcrossThreads(ReferenceBackend::new));
        assertEquals(1, MisuseChecks.modelLargerThanTheBackendIsRefused(CpuBackend::new));
        assertEquals(1, MisuseChecks.modelLargerThanTheBackendIsRefused(ReferenceBackend::new));
    }

    @Test
    void learningRatesBeyondFloatRangeAreRefused() {
        try (Backend cpu = new CpuBackend();
             ParameterSet ps = ParameterSet.builder(cpu, Sgd.of(0.1)).add(new float[] {1, 2}).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ps.step(1e39));
            assertTrue(e.getMessage().contains("lr") && e.getMessage().contains("1.0E39"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ps.step(1e-50));
            assertThrows(IllegalArgumentException.class, () -> Sgd.of(1e39));
            assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 0, 0, false, 1e39));
        }
    }

    @Test
    void aCheckpointWithANonFiniteValueIsNeverWritten() {
        Model model = Model.builder(3).dense(2, Activation.IDENTITY).build();
        try (Backend ref = new ReferenceBackend();
             Session s = Session.create(model, ref, Sgd.of(0.1), 4, 1)) {
            // Only a backend bug could put Inf in the arena; simulate one through the raw buffer.
            ref.fill(s.parameterBuffer(), 1, 1, Float.POSITIVE_INFINITY);
            Path file = dir.resolve("bad.ckpt");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Checkpoint.of(s, Map.of()).save(file));
            assertTrue(e.getMessage().contains("parameters element 1 is Infinity"), e.getMessage());
            assertTrue(!file.toFile().exists() && dir.toFile().list().length == 0, "no file, no temporary file");
        }
    }
}
