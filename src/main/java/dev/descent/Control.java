package dev.descent;

import dev.descent.internal.StepLogic;

/**
 * Layout of the control block: a small float buffer that lives on the backend next to the arena
 * and carries the per-step scalars, so a training step needs no host round-trip. The loss
 * kernel writes the batch loss, the norm kernel the squared gradient norm; {@code beginStep}
 * decides on the device whether the step is finite, advances the step count, and computes the
 * clip scale; the fused update reads them. The host reads the block only when it wants numbers
 * (progress, end of epoch).
 *
 * <p>The step count is stored as a float, exact up to 2^24 = 16,777,216 steps.
 */
public final class Control {
    private Control() {}

    /** Completed optimizer steps t (a skipped step does not count, as with PyTorch's GradScaler). */
    public static final int STEP = 0;
    /** 1 when the step in progress is skipped (non-finite loss or gradient norm). */
    public static final int SKIP = 1;
    /** Multiplier applied to every (value-clipped) gradient: min(maxNorm/(norm+1e-6), 1) or 1. */
    public static final int CLIP_SCALE = 2;
    /** Sum of squares of the (value-clipped) gradient of the step in progress. */
    public static final int NORM_SQ = 3;
    /** Loss sum of the latest training batch (written by the loss kernel). */
    public static final int BATCH_LOSS = 4;
    /** Correct predictions in the latest training batch (cross-entropy only). */
    public static final int BATCH_CORRECT = 5;
    /** Running sum of batch losses over the finite steps of an epoch. */
    public static final int LOSS_SUM = 6;
    /** Running sum of correct predictions over the finite steps of an epoch. */
    public static final int CORRECT_SUM = 7;
    /** Running count of samples in the finite steps of an epoch. */
    public static final int SAMPLE_SUM = 8;
    /** Consecutive bad steps. */
    public static final int BAD_STREAK = 9;
    /** Bad steps over the run. */
    public static final int BAD_TOTAL = 10;
    /** The global batch index where the current bad streak began. */
    public static final int BAD_STREAK_START = 11;
    /** NAdam's running product of mu_1..mu_t (1 before the first step). */
    public static final int MU_PRODUCT = 12;
    /** Loss sum of an evaluation pass (loss kernel in evaluation mode). */
    public static final int EVAL_LOSS_SUM = 13;
    /** Correct predictions of an evaluation pass. */
    public static final int EVAL_CORRECT_SUM = 14;

    /** 1 once BAD_STREAK reached the guard's limit: every later step is skipped until the host resets it. */
    public static final int HALTED = 15;

    /**
     * 1 while the latest applied update awaits its verdict: {@code beginStep} sets it when a step
     * goes ahead, and the next {@code beginStep} (or a host read, see {@link StepLogic#settle})
     * settles it, because only the update itself learns whether its output was finite.
     */
    public static final int PENDING = 16;
    /**
     * Set to 1 by the fused update when some element's new parameter or optimizer state would
     * have been non-finite; that element kept its previous values and the step counts as bad.
     */
    public static final int OUTPUT_BAD = 17;
    /** The batch index of the step in progress (so a step found bad afterwards can be named). */
    public static final int LAST_BATCH = 18;
    /** Steps whose update would have produced non-finite values (a subset of BAD_TOTAL). */
    public static final int OVERFLOW_TOTAL = 19;

    /** Floats in the control block. */
    public static final int SIZE = 20;

    /**
     * The initial contents: step 0, scale 1, mu product 1, everything else 0.
     *
     * @return {@link #SIZE} floats
     */
    public static float[] initial() {
        float[] c = new float[SIZE];
        c[CLIP_SCALE] = 1;
        c[MU_PRODUCT] = 1;
        return c;
    }
}
