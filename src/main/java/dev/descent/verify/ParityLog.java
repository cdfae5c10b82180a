package dev.descent.verify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the parity harness reports its comparisons. A {@link #failFast()} log throws
 * {@link ParityMismatch} at the first one over its tolerance, as a test wants. A
 * {@link #collecting()} log keeps going, so a user checking a device sees every family of ops
 * with its worst error and every mismatch, not just the first.
 */
public final class ParityLog {
    /**
     * One family of comparisons (an op, an optimizer configuration, the training run).
     *
     * @param name the family's name, such as {@code gemm} or {@code adam amsgrad wd}
     * @param comparisons how many comparisons it made
     * @param worstError the error of its comparison closest to (or furthest past) its tolerance
     * @param worstTolerance that comparison's tolerance
     * @param worst what that comparison compared
     * @param mismatches how many comparisons or conditions failed
     */
    public record Family(String name, int comparisons, double worstError, double worstTolerance, String worst,
                         int mismatches) {
        /**
         * The worst comparison's error as a fraction of its tolerance: 0 when every comparison
         * was exact, over 1 for a mismatch.
         *
         * @return the fraction
         */
        public double worstRatio() {
            return ratio(worstError, worstTolerance);
        }
    }

    private static double ratio(double error, double tolerance) {
        if (!(error > 0)) {
            return error == 0 ? 0 : Double.POSITIVE_INFINITY;  // NaN never passes
        }
        return tolerance == 0 ? Double.POSITIVE_INFINITY : error / tolerance;
    }

    private final boolean failFast;
    private final Map<String, Family> families = new LinkedHashMap<>();
    private final List<String> mismatches = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private int comparisons;

    private ParityLog(boolean failFast) {
        this.failFast = failFast;
    }

    /**
     * A log that throws at the first mismatch.
     *
     * @return the log
     */
    public static ParityLog failFast() {
        return new ParityLog(true);
    }

    /**
     * A log that records every mismatch and goes on.
     *
     * @return the log
     */
    public static ParityLog collecting() {
        return new ParityLog(false);
    }

    /**
     * Records one comparison: an error at or under its tolerance passes.
     *
     * @param family the family it belongs to
     * @param what what was compared (backend, op, shape), for the message
     * @param error the relative L2 error, from {@link Tolerances#relativeL2}
     * @param tolerance the largest error that passes (0: exact)
     * @throws ParityMismatch for a failing comparison in a fail-fast log
     */
    public void compare(String family, String what, double error, double tolerance) {
        comparisons++;
        boolean ok = error <= tolerance;
        Family f = family(family);
        boolean worse = f.comparisons() == 0 || ratio(error, tolerance) > f.worstRatio();
        families.put(family, new Family(family, f.comparisons() + 1, worse ? error : f.worstError(),
                worse ? tolerance : f.worstTolerance(), worse ? what : f.worst(), f.mismatches() + (ok ? 0 : 1)));
        if (!ok) {
            mismatch(what + ": relative L2 error " + error + " > " + tolerance);
        }
    }

    /**
     * Records a condition that must hold (a skipped step reported as skipped, a step count);
     * it is not counted as a comparison.
     *
     * @param family the family it belongs to
     * @param holds whether it held
     * @param what the condition, for the message when it does not hold
     * @throws ParityMismatch for a failing condition in a fail-fast log
     */
    public void require(String family, boolean holds, String what) {
        if (!holds) {
            Family f = family(family);
            families.put(family, new Family(family, f.comparisons(), f.worstError(), f.worstTolerance(), f.worst(),
                    f.mismatches() + 1));
            mismatch(what);
        }
    }

    /**
     * Records something a reader of the results should know that is not a comparison, such as
     * how many training steps ran as CUDA Graphs.
     *
     * @param note one line
     */
    public void note(String note) {
        notes.add(note);
    }

    /**
     * The notes recorded, in order.
     *
     * @return the lines
     */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    private Family family(String name) {
        return families.getOrDefault(name, new Family(name, 0, 0, 0, "", 0));
    }

    private void mismatch(String message) {
        if (failFast) {
            throw new ParityMismatch(message);
        }
        mismatches.add(message);
    }

    /**
     * The comparisons recorded so far.
     *
     * @return their count
     */
    public int comparisons() {
        return comparisons;
    }

    /**
     * Every family in the order its first comparison came.
     *
     * @return the families
     */
    public List<Family> families() {
        return List.copyOf(families.values());
    }

    /**
     * Every failed comparison or condition, each with what was compared and by how much it missed.
     *
     * @return the messages, in order
     */
    public List<String> mismatches() {
        return List.copyOf(mismatches);
    }

    /**
     * Whether something was compared and nothing failed.
     *
     * @return true when every comparison passed
     */
    public boolean passed() {
        return comparisons > 0 && mismatches.isEmpty();
    }
}
