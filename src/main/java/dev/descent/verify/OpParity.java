package dev.descent.verify;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Buf;
import dev.descent.Control;
import dev.descent.Loss;
import dev.descent.cpu.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The op parity harness (llm.c / PyTorch style): runs every op of the backend contract on the
 * backend under test and on the double-precision {@link ReferenceBackend} with the same fresh
 * random inputs and ragged shapes, poisoning outputs with NaN first so an element a kernel
 * forgets to write fails. Counts every comparison so callers can assert none went missing.
 * Every backend runs the same harness: the test suites with a fail-fast {@link ParityLog}, the
 * {@code check} command with a collecting one. Each family frees the buffers it allocated, so a
 * long-lived backend can be checked in place.
 */
public final class OpParity {
    /** Ragged sizes: 1, odd, prime, just past powers of two, none a multiple of any tile. */
    public static final int[] SIZES = {1, 7, 33, 257, 4099};
    /**
     * (m, n, k). Ragged shapes take the kernels' edge paths; {132, 260, 136} has every dimension a
     * multiple of 4 and several whole 128-wide tiles, so the GPU kernels' 16-byte load path runs too.
     */
    public static final int[][] GEMM_SHAPES = {{1, 1, 1}, {1, 257, 33}, {7, 33, 257}, {33, 7, 1}, {65, 129, 31},
        {257, 10, 128}, {132, 260, 136}};
    /** Every combination of transposes: NN (forward), TN (weight gradient), NT (input gradient), TT. */
    public static final boolean[][] GEMM_MODES = {{false, false}, {false, true}, {true, false}, {true, true}};
    /** (rows, cols) for row-wise ops. */
    public static final int[][] ROW_SHAPES = {{1, 1}, {1, 10}, {7, 33}, {33, 257}, {129, 10}};

    /**
     * (rows, cols, logit scale) for the losses; scale 0 makes every row confidently right (see
     * {@code confidentLogits}): a float kernel that forms the small loss as (loss + max) - label, or
     * the label's gradient as p - 1, loses it to rounding (OpenCL did, on a 1x2 case).
     */
    public static final int[][] LOSS_SHAPES = {{1, 2, 3}, {7, 10, 3}, {257, 33, 3}, {64, 10, 3}, {9, 3, 0}};

    private final Backend test;
    private final ReferenceBackend ref = new ReferenceBackend();
    private final Random random;
    private final ParityLog log;
    /** Every pair the current family allocated, freed when it ends. */
    private final List<Pair> live = new ArrayList<>();
    private String family = "";
    private int checks;

    /** The element counts of the element-wise ops and the norm (default {@link #SIZES}). */
    private int[] sizes = SIZES;
    /** The (rows, cols) of the row ops (default {@link #ROW_SHAPES}). */
    private int[][] rowShapes = ROW_SHAPES;

    /**
     * The same comparisons on other sizes, e.g. ones large enough that a multithreaded backend
     * splits the work (the defaults stay below the CPU backend's split thresholds).
     *
     * @param elementSizes element counts for the activation derivative and the gradient norm
     * @param rows (rows, cols) pairs for bias and activation, bias gradient and gather
     * @return this harness
     */
    public OpParity withSizes(int[] elementSizes, int[][] rows) {
        this.sizes = elementSizes.clone();
        this.rowShapes = rows.clone();
        return this;
    }

    /**
     * A harness for {@code test} that throws at the first mismatch.
     *
     * @param test the backend under test
     * @param seed the inputs' random seed
     */
    public OpParity(Backend test, long seed) {
        this(test, seed, ParityLog.failFast());
    }

    /**
     * A harness for {@code test} that reports to {@code log}.
     *
     * @param test the backend under test
     * @param seed the inputs' random seed
     * @param log where comparisons go
     */
    public OpParity(Backend test, long seed, ParityLog log) {
        this.test = test;
        this.random = new Random(seed);
        this.log = log;
    }

    /**
     * The comparisons this harness has made.
     *
     * @return their count
     */
    public int checks() {
        return checks;
    }

    /**
     * Runs one family of comparisons, logged under {@code name}, then frees what it allocated on
     * both backends, even when a comparison threw.
     */
    private void family(String name, Runnable comparisons) {
        family = name;
        try {
            comparisons.run();
        } finally {
            for (Pair p : List.copyOf(live)) {
                p.free();
            }
        }
    }

    /** One buffer on each backend holding the same values. */
    private final class Pair {
        final Buf t;
        final Buf r;
        final int n;

        Pair(float[] values) {
            n = values.length;
            t = test.allocate(n);
            r = ref.allocate(n);
            live.add(this);
            test.upload(values, 0, t, 0, n);
            ref.upload(values, 0, r, 0, n);
        }

        void poison() {
            test.fill(t, 0, n, Float.NaN);
            ref.fill(r, 0, n, Float.NaN);
        }

        float[] tested() {
            float[] out = new float[n];
            test.download(t, 0, out, 0, n);
            return out;
        }

        float[] reference() {
            float[] out = new float[n];
            ref.download(r, 0, out, 0, n);
            return out;
        }

        void free() {
            live.remove(this);
            test.free(t);
            ref.free(r);
        }
    }

    private float[] randn(int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * scale);
        }
        return x;
    }

    private Pair pair(int n, double scale) {
        return new Pair(randn(n, scale));
    }

    private static double rms(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum / v.length);
    }

    private void compare(String what, Pair p, double tolerance) {
        compare(what, p.tested(), p.reference(), tolerance);
    }

    private void compare(String what, float[] tested, float[] reference, double tolerance) {
        compare(what, tested, reference, 0, tolerance);
    }

    /** Relative L2 error against max(||reference||, floor * sqrt(n)) ({@link Tolerances#relativeL2}). */
    private void compare(String what, float[] tested, float[] reference, double floor, double tolerance) {
        log.compare(family, test.name() + " " + what, Tolerances.relativeL2(tested, reference, floor), tolerance);
        checks++;
    }

    /**
     * Comparisons {@link #gemm()} makes: every shape and mode with two (alpha, beta) pairs, plus the offset cases.
     *
     * @return their count
     */
    public static int expectedGemmChecks() {
        return GEMM_SHAPES.length * GEMM_MODES.length * 2 + 2;
    }

    /**
     * Comparisons {@link #runAllOps} makes, derived from the shape tables above.
     *
     * @return their count
     */
    public static int expectedOpChecks() {
        int acts = Activation.values().length;
        int biasAct = acts * ROW_SHAPES.length * 2;
        int actBack = acts * SIZES.length;
        int biasGrad = ROW_SHAPES.length;
        int loss = Loss.values().length * LOSS_SHAPES.length * (2 + 1 + 2);
        int norm = SIZES.length * 2;
        int gather = ROW_SHAPES.length;
        int copy = 2;
        return expectedGemmChecks() + biasAct + actBack + biasGrad + loss + norm + gather + copy;
    }

    /**
     * Runs every op family.
     *
     * @return the number of comparisons this harness has made
     */
    public int runAllOps() {
        gemm();
        biasActivation();
        activationBackward();
        biasGradient();
        loss();
        gradientNorm();
        gatherRows();
        copy();
        return checks;
    }

    /** GEMM on {@link #GEMM_SHAPES} in every mode, then with offsets into larger buffers. */
    public void gemm() {
        gemm(GEMM_SHAPES);
        family("gemm", this::gemmWithOffsets);
    }

    /**
     * Every transpose mode and two (alpha, beta) pairs on each (m, n, k) of {@code shapes}.
     *
     * @param shapes (m, n, k) triples
     */
    public void gemm(int[][] shapes) {
        family("gemm", () -> {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean[] mode : GEMM_MODES) {
                    for (float[] ab : new float[][] {{1f, 0f}, {0.5f, 1.5f}}) {
                        Pair a = pair(m * k, 1), b = pair(k * n, 1), c = pair(m * n, 1);
                        if (ab[1] == 0) {
                            c.poison();  // beta = 0 must ignore C entirely, NaN included
                        }
                        test.gemm(mode[0], mode[1], m, n, k, ab[0], a.t, 0, b.t, 0, ab[1], c.t, 0);
                        ref.gemm(mode[0], mode[1], m, n, k, ab[0], a.r, 0, b.r, 0, ab[1], c.r, 0);
                        compare(String.format("gemm %s%s %dx%dx%d alpha=%s beta=%s", mode[0] ? "T" : "N", mode[1] ? "T" : "N",
                                m, n, k, ab[0], ab[1]), c, Tolerances.GEMM);
                        a.free();
                        b.free();
                        c.free();
                    }
                }
            }
        });
    }

    private void gemmWithOffsets() {
        // Offsets into larger buffers, as the session's arena and workspace use them.
        Pair a = pair(3 + 7 * 33, 1), b = pair(5 + 33 * 9, 1), c = pair(11 + 7 * 9, 1);
        test.gemm(false, false, 7, 9, 33, 1f, a.t, 3, b.t, 5, 0f, c.t, 11);
        ref.gemm(false, false, 7, 9, 33, 1f, a.r, 3, b.r, 5, 0f, c.r, 11);
        compare("gemm NN with offsets", c, Tolerances.GEMM);
        a.free();
        b.free();
        c.free();
        // Offsets that keep 16-byte alignment (the arena's), with the transposed layouts.
        a = pair(4 + 68 * 20, 1);
        b = pair(8 + 20 * 36, 1);
        c = pair(12 + 68 * 36, 1);
        test.gemm(true, true, 68, 36, 20, 1f, a.t, 4, b.t, 8, 0f, c.t, 12);
        ref.gemm(true, true, 68, 36, 20, 1f, a.r, 4, b.r, 8, 0f, c.r, 12);
        compare("gemm TT with aligned offsets", c, Tolerances.GEMM);
    }

    /** Bias add and activation, forward, for every activation on {@link #ROW_SHAPES}: both outputs compared. */
    public void biasActivation() {
        family("biasActivation", () -> {
            for (Activation act : Activation.values()) {
                for (int[] s : rowShapes) {
                    int rows = s[0], cols = s[1];
                    Pair z = pair(rows * cols, 2), bias = pair(cols, 1), out = pair(rows * cols, 1);
                    out.poison();
                    test.biasActivation(act, rows, cols, z.t, 0, bias.t, 0, out.t, 0);
                    ref.biasActivation(act, rows, cols, z.r, 0, bias.r, 0, out.r, 0);
                    compare("biasActivation " + act + " z " + rows + "x" + cols, z, Tolerances.ELEMENTWISE);
                    compare("biasActivation " + act + " out " + rows + "x" + cols, out, Tolerances.ELEMENTWISE);
                }
            }
        });
    }

    /** Every activation's derivative applied to an upstream gradient, on {@link #SIZES}. */
    public void activationBackward() {
        family("activationBackward", () -> {
            for (Activation act : Activation.values()) {
                for (int n : sizes) {
                    Pair z = pair(n, 2), go = pair(n, 1), gz = pair(n, 1);
                    gz.poison();
                    test.activationBackward(act, n, z.t, 0, go.t, 0, gz.t, 0);
                    ref.activationBackward(act, n, z.r, 0, go.r, 0, gz.r, 0);
                    // A derivative is formed from terms of order one that can cancel (GELU's two terms do
                    // near its minimum at z = -0.75), so gz's rounding error scales with go, not gz.
                    compare("activationBackward " + act + " n=" + n + " (error relative to max(|gz|, |go|))",
                            gz.tested(), gz.reference(), rms(go.reference()), Tolerances.ELEMENTWISE);
                }
            }
        });
    }

    /** Column sums of the pre-activation gradient, on {@link #ROW_SHAPES}. */
    public void biasGradient() {
        family("biasGradient", () -> {
            for (int[] s : rowShapes) {
                Pair gz = pair(s[0] * s[1], 1), gb = pair(s[1], 1);
                gb.poison();
                test.biasGradient(s[0], s[1], gz.t, 0, gb.t, 0);
                ref.biasGradient(s[0], s[1], gz.r, 0, gb.r, 0);
                compare("biasGradient " + s[0] + "x" + s[1], gb, Tolerances.REDUCTION);
            }
        });
    }

    /** Every loss on {@link #LOSS_SHAPES}, training (value, correct count, gradient) and evaluation (sums). */
    public void loss() {
        family("loss", () -> {
            for (Loss loss : Loss.values()) {
                for (int[] s : LOSS_SHAPES) {
                    int rows = s[0], cols = s[1];
                    boolean confident = s[2] == 0;
                    float[] logits = confident ? confidentLogits(rows, cols) : randn(rows * cols, s[2]);
                    float[] targets = new float[rows * loss.targetWidth(cols)];
                    for (int i = 0; i < targets.length; i++) {
                        targets[i] = loss == Loss.MSE ? (float) random.nextGaussian()
                                : confident ? argmax(logits, i * cols, cols) : random.nextInt(cols);
                    }
                    Pair y = new Pair(logits), t = new Pair(targets), g = pair(rows * cols, 1);
                    Pair ctl = new Pair(Control.initial());
                    for (boolean eval : new boolean[] {false, true}) {
                        g.poison();
                        test.loss(loss, rows, cols, y.t, 0, t.t, 0, g.t, 0, ctl.t, eval);
                        ref.loss(loss, rows, cols, y.r, 0, t.r, 0, g.r, 0, ctl.r, eval);
                        String what = "loss " + loss + (eval ? " eval " : " train ") + rows + "x" + cols;
                        float[] ct = ctl.tested(), cr = ctl.reference();
                        int lossSlot = eval ? Control.EVAL_LOSS_SUM : Control.BATCH_LOSS;
                        int correctSlot = eval ? Control.EVAL_CORRECT_SUM : Control.BATCH_CORRECT;
                        compare(what + " value", new float[] {ct[lossSlot]}, new float[] {cr[lossSlot]}, Tolerances.REDUCTION);
                        compare(what + " correct", new float[] {ct[correctSlot]}, new float[] {cr[correctSlot]}, 0);
                        if (!eval) {
                            compare(what + " gradient", g, Tolerances.ELEMENTWISE);
                        }
                    }
                }
            }
        });
    }

    /**
     * Rows whose logits sit near a large random base (so floats near the row's maximum are
     * coarse, about 2e-6 apart), with one logit ahead of the rest by a margin of 6 to 10: each
     * row's loss is (cols - 1) e^-margin, 1e-4 to 5e-3, far below that spacing times 1e3.
     */
    private float[] confidentLogits(int rows, int cols) {
        float[] x = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            float base = (float) (20 + 10 * random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
            for (int c = 0; c < cols; c++) {
                x[r * cols + c] = base;
            }
            x[r * cols + random.nextInt(cols)] = base + (float) (6 + 4 * random.nextDouble());
        }
        return x;
    }

    private static int argmax(float[] v, int from, int n) {
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (v[from + c] > v[from + best]) {
                best = c;
            }
        }
        return best;
    }

    /** The squared global gradient norm, unclipped and with value clipping, on {@link #SIZES}. */
    public void gradientNorm() {
        family("gradientNorm", () -> {
            for (int n : sizes) {
                for (float clip : new float[] {0f, 0.1f}) {
                    Pair g = pair(n, 1), ctl = new Pair(Control.initial());
                    test.gradientNorm(g.t, n, clip, ctl.t);
                    ref.gradientNorm(g.r, n, clip, ctl.r);
                    compare("gradientNorm n=" + n + " clip=" + clip, new float[] {ctl.tested()[Control.NORM_SQ]},
                            new float[] {ctl.reference()[Control.NORM_SQ]}, Tolerances.REDUCTION);
                }
            }
        });
    }

    /** Device-to-device copies between offsets: exact. */
    public void copy() {
        family("copy", () -> {
            for (int n : new int[] {1, 4099}) {
                Pair src = pair(n + 5, 1), dst = pair(n + 9, 1);
                test.copy(src.t, 5, dst.t, 3, n);
                ref.copy(src.r, 5, dst.r, 3, n);
                compare("copy n=" + n, dst, 0);
            }
        });
    }

    /** Gathering batch rows by an index buffer, on {@link #ROW_SHAPES}: exact. */
    public void gatherRows() {
        family("gatherRows", () -> {
            for (int[] s : rowShapes) {
                int rows = s[0] + 3, cols = s[1];
                float[] index = new float[s[0]];
                for (int i = 0; i < index.length; i++) {
                    index[i] = random.nextInt(rows);
                }
                Pair src = pair(rows * cols, 1), idx = new Pair(index), dst = pair(s[0] * cols, 1);
                dst.poison();
                test.gatherRows(src.t, cols, idx.t, 0, s[0], dst.t);
                ref.gatherRows(src.r, cols, idx.r, 0, s[0], dst.r);
                compare("gatherRows " + s[0] + "x" + cols, dst, 0);
            }
        });
    }
}
