package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.descent.verify.TrainingParity.SMALL_MODEL;
import static dev.descent.verify.TrainingParity.threeClassProblem;

import dev.descent.Backend;
import dev.descent.BackendOptions;
import dev.descent.Backends;
import dev.descent.DeviceDataset;
import dev.descent.Session;
import dev.descent.cli.Main;
import dev.descent.optim.Adam;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
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
    protected CudaDevice openDevice(GraphDriver graphs) {
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
        Random r = new Random(3);
        for (int i = 0; i < 150; i++) {
            int label = i % 3;
            rows.append(label);
            for (int f = 0; f < 4; f++) {
                rows.append(',').append(String.format(Locale.ROOT, "%.4f", r.nextGaussian() + (f == label ? 2 : 0)));
            }
            rows.append('\n');
        }
        Path csv = Files.writeString(dir.resolve("three.csv"), rows);
        String[] args = {"train", "--backend", "cuda", "--csv", csv.toString(), "--hidden", "8", "--epochs", "3", "--lr", "0.05",
            "--batch-size", "16", "--quiet"};
        String without = trainOutput(args);
        String[] withGraphs = Arrays.copyOf(args, args.length + 1);
        withGraphs[args.length] = "--cuda-graphs";
        String with = trainOutput(withGraphs);
        assertTrue(with.contains("CUDA Graphs on") && !without.contains("CUDA Graphs on"), with);
        assertTrue(with.matches("(?s).*\ncuda graphs: [1-9][0-9]* built, [1-9][0-9]* steps replayed, 0 divergences\n.*"), with);
        assertFalse(without.contains("cuda graphs:"), without);
        assertEquals(epochFigures(without), epochFigures(with), "every epoch's loss and accuracy, and the test accuracy");
        assertTrue(with.strip().lines().reduce((a, b) -> b).orElse("").startsWith("test accuracy: "), with);
        count(3);
    }

    private static String trainOutput(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.run(args), "exit status of " + String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The output without the backend line, the graphs' counts and the timing columns (seconds, samples/s). */
    private static String epochFigures(String output) {
        return output.lines().filter(l -> !l.startsWith("backend:") && !l.startsWith("cuda graphs:"))
                .map(l -> l.replaceAll("[0-9.]+ ?s\\b.*$", "")).reduce("", (a, b) -> a + b + "\n");
    }

    /**
     * Foreign work the driver will not capture (here a synchronous copy, which invalidates the
     * capture) ends the graph for that step and runs directly, with the step's result intact;
     * after two such steps the shape runs directly for good.
     */
    @Test
    @Order(9)
    void foreignWorkThatCannotBeCapturedRunsDirectly() {
        float[][] seen = new float[2][];
        for (boolean graphs : new boolean[] {false, true}) {
            try (CudaBackend cuda = new CudaBackend(openDevice(graphs));
                 Session s = Session.create(SMALL_MODEL, cuda, Adam.adam(0.01), 32, 4);
                 DeviceDataset d = s.upload(threeClassProblem())) {
                JCudaDevice device = (JCudaDevice) cuda.device();
                DeviceMemory cell = device.malloc(4);
                float[] value = {0};
                Runnable hostCopy = () -> JCudaDriver.cuMemcpyHtoD((CUdeviceptr) cell.handle, Pointer.to(value), 4);
                for (int i = 0; i < 5; i++) {
                    value[0] = i + 1;
                    cuda.beginRepeatedStep(16);
                    try {
                        s.gatherBatch(d, 16 * i, 16);
                        s.forward(16);
                        StepGraphs g = device.graphs();
                        if (g != null && g.building()) {
                            g.addForeign(new long[] {99, i}, hostCopy);
                        } else if (g == null || !g.replayed(new long[] {99, i})) {
                            hostCopy.run();
                        }
                        s.backward(16);
                        s.step(0.01f, i, 16);
                    } finally {
                        cuda.endRepeatedStep(true);
                    }
                }
                float[] back = new float[1];
                device.download(cell, 0, back, 0, 1);
                assertEquals(5f, back[0], "the last step's copy ran");
                float[] p = s.parameters();
                seen[graphs ? 1 : 0] = p;
                if (graphs) {
                    assertEquals(StepGraphs.MAX_DIVERGENCES, device.graphs().diverged(), "divergences");
                    assertEquals(0, device.graphs().built(), "graphs built");
                }
                device.free(cell);
            }
        }
        assertArrayEquals(seen[0], seen[1], "parameters, graphs on and off");
        count(3);
    }

    /**
     * Another CUDA user in the process (raw JCuda on its own thread) works on the legacy default
     * stream while descent captures foreign work into a step's graph. descent's stream is
     * non-blocking, so the neighbour's copy neither fails (a blocking stream would make it
     * CUDA_ERROR_STREAM_CAPTURE_IMPLICIT) nor lands in descent's capture, and the graph is built
     * and replayed as usual, with the direct run's bits.
     */
    @Test
    @Order(9)
    void anotherCudaUserOnTheLegacyStreamDuringACaptureIsUndisturbed() throws Exception {
        float[] source = new float[16];
        Arrays.fill(source, 1.5f);
        BiConsumer<Session, DeviceDataset> script = fourStepsWithACopy(source);
        AtomicReference<Throwable> neighbour = new AtomicReference<>();
        float[] copiedByNeighbour = new float[16];
        int[] captures = {0};
        GraphDriver withNeighbour = new GraphDriver() {
            @Override
            void beginCapture(CUstream stream) {
                super.beginCapture(stream);
                captures[0]++;
                Thread t = new Thread(() -> neighbourCopies(source, copiedByNeighbour, neighbour));
                t.start();
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        float[] direct = run(null, Adam.adam(0.01), script).bits;
        Outcome graphed = run(withNeighbour, Adam.adam(0.01), script);
        assertEquals(null, neighbour.get(), "the neighbour's legacy-stream work during descent's capture");
        assertArrayEquals(source, copiedByNeighbour, "the neighbour's copy ran, now");
        assertTrue(captures[0] >= 1, "captures: " + captures[0]);
        assertArrayEquals(direct, graphed.bits, "graphs with a neighbour against direct launches");
        assertEquals(1, graphed.counts[0], "built");
        assertEquals(3, graphed.counts[1], "replayed");
        assertEquals(0, graphed.counts[2], "divergences");
        count(6);
    }

    /** A CUDA user that is not descent: the primary context, a buffer, a round trip on the legacy stream. */
    private static void neighbourCopies(float[] source, float[] back, AtomicReference<Throwable> failure) {
        try {
            CUdevice dev = new CUdevice();
            CUcontext ctx = new CUcontext();
            JCudaDriver.cuDeviceGet(dev, 0);
            JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev);
            JCudaDriver.cuCtxSetCurrent(ctx);
            CUdeviceptr p = new CUdeviceptr();
            JCudaDriver.cuMemAlloc(p, 64);
            JCudaDriver.cuMemcpyHtoD(p, Pointer.to(source), 64);
            JCudaDriver.cuMemcpyDtoH(Pointer.to(back), p, 64);
            JCudaDriver.cuMemFree(p);
            JCudaDriver.cuDevicePrimaryCtxRelease(dev);
        } catch (Throwable e) {
            failure.set(e);
        }
    }
}
