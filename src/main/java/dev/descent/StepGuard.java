package dev.descent;

/**
 * What {@code beginStep} applies before an update: the global-norm clip threshold
 * ({@code maxNorm <= 0} disables it), the element-wise clip value ({@code clipValue <= 0}
 * disables it), and the index of the batch (for the non-finite report).
 *
 * <p>Order of operations, identical on every backend: each gradient element is first clamped
 * to [-clipValue, clipValue]; the global norm is taken over the clamped gradient; the step then
 * uses clamp(g) * min(maxNorm/(norm+1e-6), 1).
 */
public record StepGuard(double maxNorm, double clipValue) {
    public static final StepGuard NONE = new StepGuard(0, 0);

    public StepGuard {
        Check.nonNegative("clipNorm", maxNorm);
        Check.nonNegative("clipValue", clipValue);
    }

    public boolean clipsNorm() {
        return maxNorm > 0;
    }

    public boolean clipsValue() {
        return clipValue > 0;
    }
}
