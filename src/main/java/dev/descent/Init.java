package dev.descent;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Weight initialisation (biases start at zero), with PyTorch's formulas:
 * Xavier/Glorot uniform bound sqrt(6/(fanIn+fanOut)), normal std sqrt(2/(fanIn+fanOut));
 * He/Kaiming (gain sqrt(2), fan-in mode) uniform bound sqrt(6/fanIn), normal std sqrt(2/fanIn).
 */
public enum Init {
    /** Uniform in +-sqrt(6 / (fanIn + fanOut)). */
    XAVIER_UNIFORM,
    /** Normal with std sqrt(2 / (fanIn + fanOut)). */
    XAVIER_NORMAL,
    /** Uniform in +-sqrt(6 / fanIn): the default, suited to ReLU layers. */
    HE_UNIFORM,
    /** Normal with std sqrt(2 / fanIn). */
    HE_NORMAL;

    /**
     * Fills {@code w[offset .. offset + fanIn*fanOut)} from {@code random}.
     *
     * @param w the parameter arena
     * @param offset the layer's weight offset
     * @param fanIn the layer's inputs
     * @param fanOut the layer's units
     * @param random the source of randomness
     */
    public void fill(float[] w, int offset, int fanIn, int fanOut, SplittableRandom random) {
        int n = fanIn * fanOut;
        switch (this) {
            case XAVIER_UNIFORM:
                uniform(w, offset, n, Math.sqrt(6.0 / (fanIn + fanOut)), random);
                break;
            case XAVIER_NORMAL:
                normal(w, offset, n, Math.sqrt(2.0 / (fanIn + fanOut)), random);
                break;
            case HE_UNIFORM:
                uniform(w, offset, n, Math.sqrt(6.0 / fanIn), random);
                break;
            case HE_NORMAL:
                normal(w, offset, n, Math.sqrt(2.0 / fanIn), random);
                break;
            default:
                throw new AssertionError(this);
        }
    }

    private static void uniform(float[] w, int offset, int n, double bound, SplittableRandom random) {
        for (int i = 0; i < n; i++) {
            w[offset + i] = (float) ((2 * random.nextDouble() - 1) * bound);
        }
    }

    private static void normal(float[] w, int offset, int n, double std, SplittableRandom random) {
        for (int i = 0; i < n; i++) {
            w[offset + i] = (float) (gaussian(random) * std);
        }
    }

    /** Box-Muller; SplittableRandom has no nextGaussian on Java 17. */
    static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();  // (0, 1]: log stays finite
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * Parses "he-uniform", "xavier_normal", ... in any case.
     *
     * @param text the name
     * @return the initialisation
     */
    public static Init parse(String text) {
        String key = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return valueOf(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("init must be one of xavier-uniform, xavier-normal, he-uniform,"
                    + " he-normal; got '" + text + "'");
        }
    }
}
