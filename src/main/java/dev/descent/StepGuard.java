package dev.descent;

import dev.descent.internal.Check;

/**
 * What {@code beginStep} applies before an update: the global-norm clip threshold
 * ({@code maxNorm <= 0} disables it), the element-wise clip value ({@code clipValue <= 0}
 * disables it), and how many consecutive non-finite steps halt training ({@code maxBadSteps}).
 *
 * <p>Order of operations, identical on every backend: each gradient element is first clamped
 * to [-clipValue, clipValue]; the global norm is taken over the clamped gradient; the step then
 * uses clamp(g) * min(maxNorm/(norm+1e-6), 1).
 */
public record StepGuard(double maxNorm, double clipValue, int maxBadSteps) {
    /** The default number of consecutive non-finite steps that halts training. */
    public static final int DEFAULT_MAX_BAD_STEPS = 10;
    /**
     * No clipping; halt after {@link #DEFAULT_MAX_BAD_STEPS} bad steps in a row.
     */
    public static final StepGuard NONE = new StepGuard(0, 0, DEFAULT_MAX_BAD_STEPS);

    /**
     * Checks the values.
     *
     * @param maxNorm global-norm clip threshold; 0 disables it
     * @param clipValue element-wise clip value; 0 disables it
     * @param maxBadSteps consecutive non-finite steps that halt training, at least 1
     */
    public StepGuard {
        Check.nonNegativeFloat("clipNorm", maxNorm);
        Check.nonNegativeFloat("clipValue", clipValue);
        Check.atLeast("maxBadSteps", maxBadSteps, 1);
    }

    /**
     * Whether global-norm clipping is on.
     *
     * @return maxNorm &gt; 0
     */
    public boolean clipsNorm() {
        return maxNorm > 0;
    }

}
