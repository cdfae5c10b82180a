package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.function.Executable;

/**
 * Misuse that once crashed inside a native library or silently corrupted results, run by every
 * backend's suite: use after close, double close, and several threads sharing one backend or
 * one session. Each method returns the number of checks it made.
 */
public final class MisuseChecks {
    private MisuseChecks() {}

    private static final Model MODEL = Model.builder(5).dense(12, Activation.TANH).dense(3, Activation.IDENTITY).build();

    static Dataset data(long seed) {
        Random r = new Random(seed);
        int rows = 64;
        float[] x = new float[rows * 5];
        int[] y = new int[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(3);
        }
        return Dataset.classification(x, rows, 5, y, 3);
    }

    /** Every resource throws IllegalStateException after close, and closing twice is harmless. */
    public static int useAfterCloseThrows(Supplier<? extends Backend> open) {
        Backend be = open.get();
        Session s = Session.create(MODEL, be, Adam.adam(0.01), 16, 1);
        DeviceDataset d = s.upload(data(1));
        ParameterSet ps = ParameterSet.builder(be, Adam.adam(0.01)).add(new float[] {1, 2, 3}).build();
        d.close();
        d.close();
        expectClosed("device dataset", () -> d.shuffle(3));
        expectClosed("device dataset", () -> s.gatherBatch(d, 0, 8));
        s.close();
        s.close();
        expectClosed("session", () -> s.trainBatch(8, 0.01f, 0));
        expectClosed("session", () -> s.setParameters(new float[MODEL.parameterCount()]));
        expectClosed("session", s::parameters);
        ps.close();
        ps.close();
        expectClosed("parameter set", ps::step);
        expectClosed("parameter set", () -> ps.download(0));
        be.close();
        be.close();
        expectClosed("backend", () -> be.allocate(4));
        // Resources still open when their backend closes report the backend.
        Backend be2 = open.get();
        Session orphan = Session.create(MODEL, be2, Adam.adam(0.01), 16, 1);
        be2.close();
        expectClosed("backend", orphan::parameters);
        orphan.close();
        return 11;
    }

    /**
     * A model whose arena (26 GB with Adam) exceeds what the backend can give is refused before
     * anything is allocated, with a message naming the backend and its limit; the backend stays
     * usable. The backend must have less than that (a GPU with more is tested through a device that
     * reports less): a backend the model fits would make this check pass by allocating.
     */
    public static int modelLargerThanTheBackendIsRefused(Supplier<? extends Backend> open) {
        Model huge = Model.builder(40_000).dense(40_000, Activation.RELU).dense(10, Activation.IDENTITY).build();
        long adamBytes = 4L * 4 * huge.parameterCount();  // parameters, gradients, two moments
        try (Backend be = open.get()) {
            assertTrue(be.availableBytes() < adamBytes, "precondition: the " + be.name() + " backend offers "
                    + be.availableBytes() + " bytes, more than the " + adamBytes + " this model needs");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Session.create(huge, be, Adam.adam(0.01), 16, 1));
            assertTrue(e.getMessage().contains("on the " + be.name() + " backend, which has "), e.getMessage());
            Session.create(MODEL, be, Adam.adam(0.01), 16, 1).close();
        }
        return 1;
    }

    private static void expectClosed(String what, Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, what + " used after close");
        assertTrue(e.getMessage().contains(what + " is closed"), e.getMessage());
    }

    /**
     * Two sessions on one backend, each trained from its own thread, end exactly where the same
     * sessions trained one after the other end (the backend serialises them); and two threads
     * driving one session make the same number of steps as one thread would.
     */
    public static int sharedBackendAcrossThreads(Supplier<? extends Backend> open) throws Exception {
        int steps = 40;
        float[][] sequential = new float[2][];
        try (Backend be = open.get()) {
            for (int k = 0; k < 2; k++) {
                sequential[k] = train(be, k, steps);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Backend be = open.get()) {
            List<Future<float[]>> runs = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                int seed = k;
                runs.add(pool.submit(() -> train(be, seed, steps)));
            }
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(sequential[k], runs.get(k).get(), be.name() + " session " + k + " trained beside another");
            }
            try (Session shared = Session.create(MODEL, be, Adam.adam(0.01), 16, 9);
                 DeviceDataset d = shared.upload(data(9))) {
                shared.gatherBatch(d, 0, 16);
                // The reproduction: two threads calling trainBatch on one session (on
                // PoCL this was a segfault). Each call runs whole under the backend's lock.
                Callable<Void> half = () -> {
                    for (int i = 0; i < steps / 2; i++) {
                        shared.trainBatch(16, 0.01f, i);
                    }
                    return null;
                };
                Future<Void> a = pool.submit(half);
                Future<Void> b = pool.submit(half);
                a.get();
                b.get();
                assertEquals(steps, shared.steps(), be.name() + ": steps from two threads on one session");
                GuardChecks.assertAllFinite(be.name() + " shared session", shared.parameters());
            }
        } finally {
            pool.shutdownNow();
        }
        return 3;
    }

    /**
     * For a backend confined to the thread that opened it (OpenCL, through Aparapi): use from
     * another thread, directly or through a session, is a clear IllegalStateException.
     */
    public static int confinedToItsThread(Supplier<? extends Backend> open) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Backend be = open.get(); Session s = Session.create(MODEL, be, Adam.adam(0.01), 16, 1);
             DeviceDataset d = s.upload(data(1))) {
            s.gatherBatch(d, 0, 16);
            s.trainBatch(16, 0.01f, 0);
            for (Callable<?> foreign : List.<Callable<?>>of(() -> train(be, 2, 1), () -> {
                s.trainBatch(16, 0.01f, 1);
                return null;
            })) {
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> pool.submit(foreign).get());
                assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
                assertTrue(e.getCause().getMessage().contains("open one OpenCL backend per thread"), e.getCause().getMessage());
            }
            assertEquals(1, s.steps(), "the refused calls changed nothing");
        } finally {
            pool.shutdownNow();
        }
        return 3;
    }

    private static float[] train(Backend be, int seed, int steps) {
        try (Session s = Session.create(MODEL, be, Adam.adam(0.01), 16, seed);
             DeviceDataset d = s.upload(data(seed))) {
            for (int i = 0; i < steps; i++) {
                s.gatherBatch(d, 16 * (i % 4), 16);
                s.trainBatch(16, 0.01f, i);
            }
            return s.parameters();
        }
    }
}
