package dev.descent.internal;

import dev.descent.Backend;
import dev.descent.Control;
import dev.descent.StepGuard;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;

/**
 * The host-side statement of {@link Backend#beginStep}: the CPU backends call it directly and
 * the device kernels implement the same few lines (kept beside their sources).
 *
 * <p>A step is bad in one of two ways. Its loss or gradient norm is non-finite: {@code beginStep}
 * sees that and skips the step (nothing is written). Or its update would make some parameter or
 * optimizer-state element non-finite: only the fused update sees that, so it keeps that
 * element's previous values, sets OUTPUT_BAD, and the step is settled as bad afterwards, by the
 * next {@code beginStep} on the device or by {@link #settle} when the host reads the block.
 * Both kinds count towards the same streak of consecutive bad steps, which halts training at
 * {@code maxBadSteps}. A halted session skips every later step, so its parameters stay as they
 * were, and they are always finite.
 */
public final class StepLogic {
    private StepLogic() {}

    /** Updates the control block {@code c} (as doubles) in place. */
    public static void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, double[] c) {
        settle(c, guard.maxBadSteps());
        if (c[Control.HALTED] != 0) {
            c[Control.SKIP] = 1;
            return;
        }
        double loss = c[Control.BATCH_LOSS];
        double normSq = c[Control.NORM_SQ];
        if (!Double.isFinite(loss) || !Double.isFinite(normSq)) {
            c[Control.SKIP] = 1;
            countBad(c, batchIndex, guard.maxBadSteps());
            return;
        }
        c[Control.SKIP] = 0;
        c[Control.PENDING] = 1;
        c[Control.LAST_BATCH] = batchIndex;
        double t = c[Control.STEP] + 1;
        c[Control.STEP] = t;
        c[Control.CLIP_SCALE] = guard.clipsNorm() ? Math.min(guard.maxNorm() / (Math.sqrt(normSq) + 1e-6), 1) : 1;
        c[Control.LOSS_SUM] += loss;
        c[Control.CORRECT_SUM] += c[Control.BATCH_CORRECT];
        c[Control.SAMPLE_SUM] += rows;
        if (spec instanceof NAdam nadam) {
            c[Control.MU_PRODUCT] *= nadam.mu((long) t);
        }
    }

    /**
     * Gives the latest applied step its verdict: bad if its update flagged OUTPUT_BAD (the
     * streak grows, and may halt), good otherwise (the streak ends). Idempotent; a no-op when no
     * step is pending. The step count keeps the bad step, since the elements that were updated
     * used it for their bias corrections.
     */
    public static void settle(double[] c, int maxBadSteps) {
        if (c[Control.PENDING] == 0) {
            return;
        }
        c[Control.PENDING] = 0;
        if (c[Control.OUTPUT_BAD] != 0) {
            c[Control.OUTPUT_BAD] = 0;
            c[Control.OVERFLOW_TOTAL] += 1;
            countBad(c, (long) c[Control.LAST_BATCH], maxBadSteps);
        } else {
            c[Control.BAD_STREAK] = 0;
        }
    }

    /** {@link #settle} on a float copy of the block, as the host reads it. */
    public static float[] settled(float[] control, int maxBadSteps) {
        double[] c = new double[control.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = control[i];
        }
        settle(c, maxBadSteps);
        float[] out = control.clone();
        for (int i = 0; i < c.length; i++) {
            out[i] = (float) c[i];
        }
        return out;
    }

    private static void countBad(double[] c, long batchIndex, int maxBadSteps) {
        if (c[Control.BAD_STREAK] == 0) {
            c[Control.BAD_STREAK_START] = batchIndex;
        }
        c[Control.BAD_STREAK] += 1;
        c[Control.BAD_TOTAL] += 1;
        if (c[Control.BAD_STREAK] >= maxBadSteps) {
            c[Control.HALTED] = 1;
        }
    }
}
