package dev.descent.internal.workload;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Buf;
import dev.descent.Control;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.StepGuard;
import dev.descent.Trainer;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import dev.descent.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** The benchmark workloads: copy, one optimizer update, GEMM, one training step. */
public final class Workloads {
    private Workloads() {}

    /** Bytes one update moves per parameter: reads p, g and each state; writes p and each state. */
    public static int bytesPerParameter(OptimizerSpec spec) {
        return 4 * (3 + 2 * spec.stateCount());
    }

    /** Device copy of n floats; 8 bytes counted per float (one read, one write). */
    public static Workload copy(Backend be, int n) {
        int sets = Workload.rotation(8L * n, 256);
        Buf src = be.allocate(n * sets);
        Buf dst = be.allocate(n * sets);
        int[] next = {0};
        return Workload.of(() -> {
            int k = next[0]++ % sets;
            be.copy(src, k * n, dst, k * n, n);
        }, 8.0 * n, 0, n, () -> {
            be.free(src);
            be.free(dst);
        });
    }

    /** One fused update of n parameters with {@code spec} (t = 1, finite: every step runs). */
    public static Workload update(Backend be, OptimizerSpec spec, int n) {
        int sets = Workload.rotation((long) bytesPerParameter(spec) * n, 256);
        List<Buf[]> arenas = new ArrayList<>();
        for (int k = 0; k < sets; k++) {
            Buf[] a = new Buf[2 + spec.stateCount()];
            for (int i = 0; i < a.length; i++) {
                a[i] = be.allocate(n);
            }
            be.fill(a[1], 0, n, 1e-3f);
            arenas.add(a);
        }
        Buf control = be.allocate(Control.SIZE);
        be.upload(Control.initial(), 0, control, 0, Control.SIZE);
        be.beginStep(spec, StepGuard.NONE, 0, 1, control);
        Buf[][] states = new Buf[sets][];
        for (int k = 0; k < sets; k++) {
            Buf[] a = arenas.get(k);
            states[k] = Arrays.copyOfRange(a, 2, a.length);
        }
        int[] next = {0};
        return Workload.of(() -> {
            int k = next[0]++ % sets;
            Buf[] a = arenas.get(k);
            be.step(spec, 1e-3f, a[0], a[1], states[k], n, n, 0f, control);
        }, (double) bytesPerParameter(spec) * n, 0, n, () -> {
            for (Buf[] a : arenas) {
                for (Buf b : a) {
                    be.free(b);
                }
            }
            be.free(control);
        });
    }

    /** C = op(A) op(B) with op(A) m x k, op(B) k x n; random inputs, rotated. */
    public static Workload gemm(Backend be, int m, int n, int k, boolean transA, boolean transB) {
        int sets = Workload.rotation(4L * ((long) m * k + (long) k * n + (long) m * n), 8);
        Random r = new Random(1);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat() - 0.5f;
        }
        List<Buf[]> mats = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            Buf ba = be.allocate(a.length), bb = be.allocate(b.length), bc = be.allocate(m * n);
            be.upload(a, 0, ba, 0, a.length);
            be.upload(b, 0, bb, 0, b.length);
            mats.add(new Buf[] {ba, bb, bc});
        }
        int[] next = {0};
        return Workload.of(() -> {
            Buf[] x = mats.get(next[0]++ % sets);
            be.gemm(transA, transB, m, n, k, 1f, x[0], 0, x[1], 0, 0f, x[2], 0);
        }, 4.0 * ((double) m * k + (double) k * n + (double) m * n), 2.0 * m * n * k, 1, () -> {
            for (Buf[] x : mats) {
                for (Buf buf : x) {
                    be.free(buf);
                }
            }
        });
    }

    /**
     * One training step (gather, forward, backward, norm, guard, Adam update) of an MLP with the
     * given widths (input first, 10 classes last) at {@code batch} rows, on random data of 8
     * batches that the step walks through.
     */
    public static Workload trainStep(Backend be, int[] widths, int batch) {
        Model model = mlp(widths);
        int rows = batch * 8;
        Session session = Session.create(model, be, Adam.adam(1e-4), batch, 3);
        DeviceDataset data = session.upload(randomData(model, rows, 2));
        long flops = 0;
        for (dev.descent.Layer l : model.layers()) {
            flops += 6L * batch * l.inputs() * l.units();  // forward, weight gradient, input gradient
        }
        int[] next = {0};
        return Workload.of(() -> {
            int b = next[0]++ % 8;
            session.trainBatch(data, b * batch, batch, 1e-4f, next[0]);
        }, 0, flops, batch, () -> {
            data.close();
            session.close();
        });
    }

    /**
     * One epoch through {@link Trainer}: a new shuffled order of {@code rows} random samples,
     * then every batch (the last one short), as {@code descent train} runs it; Adam at 1e-4.
     */
    public static Workload epoch(Backend be, int[] widths, int batch, int rows) {
        Model model = mlp(widths);
        Session session = Session.create(model, be, Adam.adam(1e-4), batch, 3);
        DeviceDataset data = session.upload(randomData(model, rows, 4));
        Trainer trainer = new Trainer(session, new Trainer.Config(1, batch, 5, Schedule.CONSTANT, true));
        return Workload.of(() -> trainer.fit(data, null, null), 0, 0, rows, () -> {
            data.close();
            session.close();
        });
    }

    private static Model mlp(int[] widths) {
        Model.Builder builder = Model.builder(widths[0]);
        for (int i = 1; i < widths.length - 1; i++) {
            builder.dense(widths[i], Activation.RELU);
        }
        return builder.dense(widths[widths.length - 1], Activation.IDENTITY).build();
    }

    /** Uniform features in [0, 1) and uniform labels, from a fixed seed. */
    private static Dataset randomData(Model model, int rows, long seed) {
        int width = model.inputWidth();
        Random r = new Random(seed);
        float[] x = new float[rows * width];
        int[] y = new int[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(model.outputWidth());
        }
        return Dataset.classification(x, rows, width, y, model.outputWidth());
    }
}
