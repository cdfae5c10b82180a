package dev.descent.verify;

/**
 * Every tolerance the parity harness uses, with its reason. All are relative L2 errors
 * ||out - ref|| / ||ref|| of a float32 backend against the double-precision reference.
 */
public final class Tolerances {
    private Tolerances() {}

    /** One or two float roundings per element (bias add, activation, gather): a few ulps. */
    public static final double ELEMENTWISE = 1e-6;
    /**
     * GEMM: float32 sums over k terms. Rounding error grows like sqrt(k) * 6e-8 for random
     * data; k reaches 257 here (about 1e-6), and blocked summation orders differ from the
     * reference's, so allow 10x.
     */
    public static final double GEMM = 1e-5;
    /** Column sums, squared norms and losses: float or blocked double partial sums over up to 4099 terms. */
    public static final double REDUCTION = 1e-5;
    /**
     * Optimizer parameters and state after 8 steps: each step adds a few float roundings, and
     * rules that divide by sqrt(v) + eps amplify differences where v is tiny.
     */
    public static final double OPTIMIZER = 1e-5;
    /**
     * Denominator floor (RMS) for optimizer comparisons. A state that is a running sum carries
     * the absolute rounding error of its terms, not a relative one of its own size, when the
     * terms cancel. Adam's moments add (1 - beta1) g ~ 0.1 (seen: a single-element exp_avg of
     * 0.0026 off by 3e-8; a 0.0438 RMSprop buffer at step 2 off by 4.9e-7). Below this RMS the
     * check is absolute: OPTIMIZER * OPTIMIZER_FLOOR = 1e-6 per element, times the state's term
     * scale ({@code OptimizerParity.termScale}: 1 / sqrt(1 - alpha) for RMSprop's momentum
     * buffer, whose terms reach 10, and 1 elsewhere). A state's floor never exceeds the largest
     * RMS that state has reached in the run ({@code OptimizerParity.stateFloor}), so a state far
     * smaller than 0.1 (Adadelta's acc_delta, about 1e-6; Adam's exp_avg_sq, about 1e-3) is
     * compared relative to its own scale, and a 10% error in any state fails.
     */
    public static final double OPTIMIZER_FLOOR = 1e-1;
    /** Whole training runs (hundreds of steps): float rounding compounds through the network. */
    public static final double TRAINING = 1e-3;

    /**
     * ||a - b|| / ||b||, or ||a - b|| when b is all zeros; NaN or infinity anywhere gives +infinity.
     *
     * @param a the values under test
     * @param b the reference values, as long as {@code a}
     * @return the relative L2 error
     */
    public static double relativeL2(float[] a, float[] b) {
        return relativeL2(a, b, 0);
    }

    /**
     * ||a - b|| / max(||b||, floor * sqrt(n)): relative where the reference is large, absolute
     * (per element, in units of {@code floor}) where it has cancelled to almost nothing.
     *
     * @param a the values under test
     * @param b the reference values, as long as {@code a}
     * @param floor the smallest RMS the denominator is given
     * @return the relative L2 error
     * @throws IllegalArgumentException when the lengths differ
     */
    public static double relativeL2(float[] a, float[] b, double floor) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i]) || !Float.isFinite(b[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double d = (double) a[i] - b[i];
            diff += d * d;
            norm += (double) b[i] * b[i];
        }
        double denominator = Math.max(norm, floor * floor * a.length);
        return denominator == 0 ? Math.sqrt(diff) : Math.sqrt(diff / denominator);
    }
}
