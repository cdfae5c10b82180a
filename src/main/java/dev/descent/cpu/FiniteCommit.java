package dev.descent.cpu;

/**
 * Makes a fused update commit only finite values, without a second pass over the arena: each
 * worker runs the update block by block (a block fits in L1 with its streams), saving the
 * block's parameters and state first and checking them after. The rare block that produced a
 * non-finite value gets back, element by element, the previous values of every element that
 * did; the update loops themselves stay branch-free and vectorized. The caller learns whether
 * any element was held back, and the step is then counted as bad (see dev.descent.internal.StepLogic).
 */
final class FiniteCommit {

    /** Elements per block: 6 streams of 1,024 floats is 24 KiB, inside L1 with the gradient. */
    static final int BLOCK = 1024;

    /** An update over the elements [from, to). */
    interface Body {
        void run(int from, int to);
    }

    private final float[][][] saved;
    private final boolean[] held;
    private final Probe probe;

    FiniteCommit(int workers, int maxStreams, Probe probe) {
        saved = new float[workers][maxStreams][BLOCK];
        held = new boolean[workers];
        this.probe = probe;
    }

    /**
     * Runs {@code body} over [0, length) on {@code par}, committing only finite values to
     * {@code written} (the parameters and every state array). Returns true when some element
     * kept its previous values.
     */
    boolean run(Parallel par, int length, int grain, float[][] written, Body body) {
        if (written.length > saved[0].length) {
            throw new IllegalStateException(written.length + " streams, scratch for " + saved[0].length);
        }
        par.forRange(length, grain, 16, (chunk, from, to) -> {
            boolean any = false;
            float[][] copy = saved[chunk];
            for (int b = from; b < to; b += BLOCK) {
                int end = Math.min(to, b + BLOCK);
                int n = end - b;
                for (int s = 0; s < written.length; s++) {
                    System.arraycopy(written[s], b, copy[s], 0, n);
                }
                body.run(b, end);
                if (!allFinite(written, b, end)) {
                    restore(written, copy, b, end);
                    any = true;
                }
            }
            held[chunk] = any;
        });
        boolean any = false;
        for (int c = 0; c < par.chunks(length, grain); c++) {
            any |= held[c];
            held[c] = false;
        }
        return any;
    }

    /** Whether every value of a[from, to) is finite. */
    interface Probe {
        boolean allFinite(float[] a, int from, int to);
    }

    /**
     * Without the Vector API: x - x is 0 for every finite x and NaN otherwise, so the sums stay 0
     * only if all were finite. Four accumulators keep the adds independent; HotSpot does not
     * vectorize this reduction, which is why the Vector API probe is used when it can be.
     */
    static final Probe SCALAR = (a, from, to) -> {
        float p0 = 0f, p1 = 0f, p2 = 0f, p3 = 0f;
        int i = from;
        for (; i + 3 < to; i += 4) {
            p0 += a[i] - a[i];
            p1 += a[i + 1] - a[i + 1];
            p2 += a[i + 2] - a[i + 2];
            p3 += a[i + 3] - a[i + 3];
        }
        for (; i < to; i++) {
            p0 += a[i] - a[i];
        }
        return p0 + p1 + p2 + p3 == 0f;
    };

    /** The Vector API probe when the module is present (as for the GEMM), else {@link #SCALAR}. */
    static Probe chooseProbe(boolean wantVector) {
        if (wantVector && GemmKernels.vectorApiPresent()) {
            try {
                return (Probe) Class.forName("dev.descent.cpu.VectorFiniteProbe").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return SCALAR;
            }
        }
        return SCALAR;
    }

    private boolean allFinite(float[][] arrays, int from, int to) {
        for (float[] a : arrays) {
            if (!probe.allFinite(a, from, to)) {
                return false;
            }
        }
        return true;
    }

    private static void restore(float[][] arrays, float[][] copy, int from, int to) {
        for (int i = from; i < to; i++) {
            boolean finite = true;
            for (float[] a : arrays) {
                finite &= Float.isFinite(a[i]);
            }
            if (!finite) {
                for (int s = 0; s < arrays.length; s++) {
                    arrays[s][i] = copy[s][i - from];
                }
            }
        }
    }
}
