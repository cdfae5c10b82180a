package dev.descent;

import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;

/**
 * The host-side statement of {@link Backend#beginStep}: the CPU backends call it directly and
 * the device kernels implement the same few lines (kept beside their sources).
 */
public final class StepLogic {
    private StepLogic() {}

    /** Updates the control block {@code c} (as doubles) in place. */
    public static void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, double[] c) {
        double loss = c[Control.BATCH_LOSS];
        double normSq = c[Control.NORM_SQ];
        if (c[Control.HALTED] != 0) {
            c[Control.SKIP] = 1;
            return;
        }
        if (!Double.isFinite(loss) || !Double.isFinite(normSq)) {
            c[Control.SKIP] = 1;
            if (c[Control.BAD_STREAK] == 0) {
                c[Control.BAD_STREAK_START] = batchIndex;
            }
            c[Control.BAD_STREAK] += 1;
            c[Control.BAD_TOTAL] += 1;
            if (c[Control.BAD_STREAK] >= guard.maxBadSteps()) {
                c[Control.HALTED] = 1;
            }
            return;
        }
        c[Control.SKIP] = 0;
        c[Control.BAD_STREAK] = 0;
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
}
