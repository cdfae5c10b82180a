package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.Control;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The real {@link CudaBackend} (launch geometry, argument packing, arena offsets, reductions,
 * the control block) running every kernel of kernels/cuda on the CPU through the emulation
 * library: the backend contract ({@link CudaSuite}) plus what only the emulator can show. Runs in
 * CI on every push, under three thread orders; the GPU suite ({@code CudaGpuTest}) runs the same
 * contract on hardware. The last test checks every kernel in the library was launched.
 */
@org.junit.jupiter.api.Tag("emulator")
class CudaEmulationTest extends CudaSuite {
    private static final String LIBRARY = System.getProperty("descent.cuda.emulator.test", "native/build/libdescent_cuda_emu.so");
    /** The race build (make -C native emu-race) refuses any launch with a data race. */
    private static final boolean RACE_BUILD = LIBRARY.contains("_race");

    @Override
    protected String prepare() {
        String missing = notBuilt("CUDA emulation library", LIBRARY, "g++ and JDK headers", "emu");
        if (missing != null) {
            return missing;
        }
        if (LIBRARY.contains("_fma") && !cpuHasFma()) {
            return "this CPU has no FMA instructions, which " + LIBRARY + " uses";
        }
        System.setProperty(EmulatedDevice.PROPERTY, LIBRARY);
        return null;
    }

    private static boolean cpuHasFma() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).lines()
                    .anyMatch(l -> l.startsWith("flags") && (" " + l + " ").contains(" fma "));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Override
    protected String label() {
        return "cuda (CPU emulation" + (LIBRARY.contains("_fma") ? " with fused multiply-adds" : "")
                + (RACE_BUILD ? " with the race detector" : "") + ", "
                + System.getenv().getOrDefault("DESCENT_EMU_ORDER", "forward") + " thread order)";
    }

    @Override
    protected CudaDevice openDevice() {
        return EmulatedDevice.open();
    }

    @AfterAll
    void forgetTheLibrary() {
        System.clearProperty(EmulatedDevice.PROPERTY);
    }

    @Test
    @Order(1)
    void controlSlotsInTheKernelsMatchControlJava() throws Exception {
        String header = Files.readString(Path.of("kernels/cuda/common.cuh"));
        Matcher m = Pattern.compile("#define SLOT_([A-Z_]+) (\\d+)").matcher(header);
        int seen = 0;
        while (m.find()) {
            Field f = Control.class.getField(m.group(1));
            assertEquals(f.getInt(null), Integer.parseInt(m.group(2)), "slot " + m.group(1));
            seen++;
        }
        assertEquals(Control.SIZE, seen, "every control slot is defined for the kernels");
        Matcher r = Pattern.compile("#define REDUCE_BLOCKS (\\d+)").matcher(header);
        assertTrue(r.find());
        assertEquals(CudaOps.REDUCE_BLOCKS, Integer.parseInt(r.group(1)));
        for (Activation a : Activation.values()) {
            assertTrue(header.contains("#define ACT_" + a.name() + " " + a.ordinal()), "activation code " + a);
        }
    }

    /**
     * The thread orders catch missing barriers that one order hides: forward order runs a lower
     * thread first, hiding a read of the lower neighbour's value, reverse the opposite, and a
     * seeded random order exposes both. The probes are test-only kernels without the barrier.
     */
    @Test
    @Order(2)
    void threadOrdersExposeMissingBarriers() {
        Assumptions.assumeFalse(RACE_BUILD, "the race build refuses these probes' launches outright"
                + " (raceDetectorReportsEveryProbeUnderEveryOrder)");
        String[] orders = {"forward", "reverse", "random:3"};
        boolean[][] caught = new boolean[orders.length][2];
        float salt = 1000;
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory out = device.malloc(256 * 4);
            KernelArgs args = new KernelArgs();
            for (int o = 0; o < orders.length; o++) {
                EmulatedDevice.threadOrder(orders[o]);
                String[] probes = {"probe_read_lower", "probe_read_upper"};
                for (int p = 0; p < 2; p++) {
                    salt += 1000;  // new values every launch, so nothing stale looks right
                    device.launch(device.function(probes[p]), 1, 1, 256, args.clear().f(salt).ptr(out, 0));
                    float[] got = new float[256];
                    device.download(out, 0, got, 0, 256);
                    for (int t = 0; t < 256; t++) {
                        float expected = (p == 0 ? t - 1 : t + 1) + salt;  // what the barrier would guarantee
                        caught[o][p] |= got[t] != expected;
                    }
                }
            }
            device.free(out);
        } finally {
            EmulatedDevice.threadOrder(System.getenv().getOrDefault("DESCENT_EMU_ORDER", "forward"));
        }
        System.out.println("[emulation] missing barrier caught (reads lower, reads upper): forward "
                + java.util.Arrays.toString(caught[0]) + ", reverse " + java.util.Arrays.toString(caught[1])
                + ", random " + java.util.Arrays.toString(caught[2]));
        assertArrayEquals(new boolean[] {false, true}, caught[0], "forward order");
        assertArrayEquals(new boolean[] {true, false}, caught[1], "reverse order");
        assertArrayEquals(new boolean[] {true, true}, caught[2], "random order");
    }

    /**
     * The race build reports each probe's race under every thread order, where a wrong result
     * shows only under some: the missing barriers (a read of shared memory another thread of the
     * block writes before the same barrier), and blocks writing the same global words, which no
     * single order can show since any one block's values look right. The report names the kind,
     * the memory and both threads.
     */
    @Test
    @Order(2)
    void raceDetectorReportsEveryProbeUnderEveryOrder() {
        Assumptions.assumeTrue(RACE_BUILD, "needs the race build (make -C native emu-race), which the"
                + " emulator-race execution runs");
        String[] orders = {"forward", "reverse", "random:3"};
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory out = device.malloc(256 * 4);
            KernelArgs args = new KernelArgs();
            for (String order : orders) {
                EmulatedDevice.threadOrder(order);
                for (String probe : new String[] {"probe_read_lower", "probe_read_upper"}) {
                    String report = raceReport(() -> device.launch(device.function(probe), 1, 1, 256,
                            args.clear().f(1000).ptr(out, 0)));
                    assertTrue(report.contains(probe + ": ") && report.contains("race on shared memory at byte")
                            && (report.contains("write-read") || report.contains("read-write")), order + ": " + report);
                }
                String report = raceReport(() -> device.launch(device.function("probe_blocks_collide"), 3, 1, 64,
                        args.clear().ptr(out, 0)));
                assertTrue(report.contains("write-write race on global memory"), order + ": " + report);
                assertTrue(report.contains("128 data races"), "64 words written by 3 blocks: the second and third block's writes race: " + report);
                count(3);
            }
            System.out.println("[emulation] race detector: 3 probes reported under " + String.join(", ", orders));
            device.free(out);
        } finally {
            EmulatedDevice.threadOrder(System.getenv().getOrDefault("DESCENT_EMU_ORDER", "forward"));
        }
    }

    private static String raceReport(org.junit.jupiter.api.function.Executable launch) {
        return org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, launch).getMessage();
    }

    /**
     * Without the race detector, blocks that collide on global memory leave one block's values,
     * which look right under any order: only the race build can catch this probe.
     */
    @Test
    @Order(6)
    void collidingBlocksLookCorrectWithoutTheRaceDetector() {
        Assumptions.assumeFalse(RACE_BUILD, "the race build refuses this launch (raceDetectorReportsEveryProbeUnderEveryOrder)");
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory out = device.malloc(64 * 4);
            device.launch(device.function("probe_blocks_collide"), 3, 1, 64, new KernelArgs().ptr(out, 0));
            float[] back = new float[64];
            device.download(out, 0, back, 0, 64);
            for (float v : back) {
                assertEquals(back[0], v, "every word holds the last block's value");
            }
            assertTrue(back[0] >= 0 && back[0] < 3, "a block index: " + back[0]);
            device.free(out);
            count(1);
        }
    }

    /**
     * Launches a GPU would refuse are refused: too many threads per block, more than a kernel's
     * __launch_bounds__, more registers than a multiprocessor holds (from ptxas -v, in
     * kernels/cuda/launch_limits.txt), a grid y beyond 65535. A launch at the limits runs.
     */
    @Test
    @Order(6)
    void launchesBeyondTheGpuLimitsAreRefused() throws Exception {
        List<String> table = LaunchLimitTable.kernels();
        List<String> kernels = EmulatedDevice.launchCounts().keySet().stream()
                .filter(k -> !k.startsWith("probe_")).sorted().toList();
        assertEquals(kernels, table, "kernels/cuda/launch_limits.txt lists every kernel (make -C native limits)");
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory mem = device.malloc(4096 * 4);
            DeviceMemory partial = device.malloc(1024 * 8);
            KernelArgs fill = new KernelArgs().ptr(mem, 0).l(16).f(1f);
            device.launch(device.function("fill_kernel"), 1, 1, 1024, fill);
            String[] refusals = {
                refusal(() -> device.launch(device.function("fill_kernel"), 1, 1, 2048, fill)),
                refusal(() -> device.launch(device.function("fill_kernel"), 1, 70_000, 32, fill)),
                refusal(() -> device.launch(device.function("norm_partial"), 1, 1, 512,
                        new KernelArgs().ptr(mem, 0).l(16).f(0f).ptr(partial, 0))),
                refusal(() -> device.launch(device.function("gemm_tiled"), 1, 1, 1024,
                        new KernelArgs().i(0).i(0).i(1).i(1).i(1).f(1f).ptr(mem, 0).ptr(mem, 4).f(0f).ptr(mem, 8))),
            };
            assertTrue(refusals[0].contains("2048 threads per block"), refusals[0]);
            assertTrue(refusals[1].contains("exceeds 2^31-1 x 65535"), refusals[1]);
            assertTrue(refusals[2].contains("__launch_bounds__ allows 256"), refusals[2]);
            assertTrue(refusals[3].contains("registers x 1024 threads"), refusals[3]);
            device.free(mem);
            device.free(partial);
            count(refusals.length);
        }
    }

    private static String refusal(org.junit.jupiter.api.function.Executable launch) {
        return org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, launch).getMessage();
    }

    /**
     * Shared memory is filled with NaN before every block: a probe that reads its shared array
     * before writing it sees NaN in every block, never what the block before it wrote.
     */
    @Test
    @Order(6)
    void sharedMemoryStartsAsNaNInEveryBlock() {
        try (EmulatedDevice device = EmulatedDevice.open()) {
            int blocks = 3;
            DeviceMemory out = device.malloc(blocks * 64 * 4);
            device.launch(device.function("probe_shared_poison"), blocks, 1, 64, new KernelArgs().ptr(out, 0));
            float[] back = new float[blocks * 64];
            device.download(out, 0, back, 0, back.length);
            for (int i = 0; i < back.length; i++) {
                assertTrue(Float.isNaN(back[i]), "block " + i / 64 + " thread " + i % 64 + " read " + back[i]);
            }
            device.free(out);
            count(1);
        }
    }

    /** The stop probes' correct launches: they only have to run (and be counted) here. */
    @Test
    @Order(6)
    void theStopProbesRunCorrectlyWhenUsedCorrectly() {
        try (EmulatedDevice device = EmulatedDevice.open()) {
            DeviceMemory out = device.malloc(32 * 4);
            device.launch(device.function("probe_late_barrier"), 1, 1, 32, new KernelArgs().i(0).ptr(out, 0));
            float[] back = new float[32];
            device.download(out, 0, back, 0, 32);
            assertEquals(31f, back[31]);
            device.launch(device.function("probe_write_past_end"), 1, 1, 32, new KernelArgs().i(31).ptr(out, 0));
            device.download(out, 0, back, 0, 32);
            assertEquals(1f, back[31]);
            device.free(out);
            count(1);
        }
    }

    @Test
    @Order(7)
    void everyKernelWasLaunched() {
        Map<String, Long> counts = EmulatedDevice.launchCounts();
        System.out.println("[emulation] " + counts.size() + " kernels, launches: " + counts);
        // 21 from kernels/cuda plus the 6 test-only probes (native/emu/probes.cu); the stops of
        // the late-barrier and past-the-end probes run in EmulatorStopsTest's child JVMs, their
        // correct launches here.
        assertEquals(27, counts.size(), "kernels in the emulation library (one per extern \"C\" __global__)");
        counts.forEach((name, n) -> assertTrue(n > 0, "kernel " + name + " was never launched"));
    }
}
