package dev.descent;

import java.util.Locale;

/**
 * Element-wise activations. GELU is the tanh approximation (PyTorch's
 * {@code approximate='tanh'}), chosen because every backend can evaluate it with the same
 * elementary functions; leaky ReLU uses PyTorch's default slope 0.01.
 * The double-precision forms here are the reference; backends implement the same formulas.
 */
public enum Activation {
    // The order is the kernels' activation code (common.cuh's ACT_ defines; a test checks them).
    /** f(z) = z: the logits layer. */
    IDENTITY,
    /** max(z, 0). */
    RELU,
    /** z for z &gt; 0, else {@link #LEAKY_SLOPE} z. */
    LEAKY_RELU,
    /** 1 / (1 + e^-z). */
    SIGMOID,
    /** tanh(z). */
    TANH,
    /** 0.5 z (1 + tanh(c (z + a z^3))), the tanh approximation of GELU. */
    GELU;

    /**
     * Leaky ReLU's slope for negative inputs (PyTorch's default).
     */
    public static final double LEAKY_SLOPE = 0.01;
    /** sqrt(2/pi), the GELU tanh-approximation constant. */
    public static final double GELU_C = 0.7978845608028654;
    /**
     * The cubic coefficient of the GELU tanh approximation.
     */
    public static final double GELU_A = 0.044715;

    /**
     * The activation in double precision, the reference every backend is tested against.
     *
     * @param z the pre-activation
     * @return f(z)
     */
    public double apply(double z) {
        switch (this) {
            case IDENTITY: return z;
            case RELU: return z > 0 ? z : 0;
            case LEAKY_RELU: return z > 0 ? z : LEAKY_SLOPE * z;
            case SIGMOID: return 1 / (1 + Math.exp(-z));
            case TANH: return Math.tanh(z);
            case GELU: return 0.5 * z * (1 + Math.tanh(GELU_C * (z + GELU_A * z * z * z)));
            default: throw new AssertionError(this);
        }
    }

    /**
     * d apply / dz at z (ReLU's derivative at 0 is taken as 0, as in PyTorch).
     *
     * @param z the pre-activation
     * @return f'(z)
     */
    public double derivative(double z) {
        switch (this) {
            case IDENTITY: return 1;
            case RELU: return z > 0 ? 1 : 0;
            case LEAKY_RELU: return z > 0 ? 1 : LEAKY_SLOPE;
            case SIGMOID: {
                double s = 1 / (1 + Math.exp(-z));
                return s * (1 - s);
            }
            case TANH: {
                double th = Math.tanh(z);
                return 1 - th * th;
            }
            case GELU: {
                double u = GELU_C * (z + GELU_A * z * z * z);
                double th = Math.tanh(u);
                double du = GELU_C * (1 + 3 * GELU_A * z * z);
                return 0.5 * (1 + th) + 0.5 * z * (1 - th * th) * du;
            }
            default: throw new AssertionError(this);
        }
    }

    /**
     * Parses "relu", "leaky-relu", "leaky_relu", "gelu", ... with a clear error for anything else.
     *
     * @param text the name, any case, '-' or '_'
     * @return the activation
     */
    public static Activation parse(String text) {
        String key = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return valueOf(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("activation must be one of identity, relu, leaky-relu, sigmoid, tanh,"
                    + " gelu; got '" + text + "'");
        }
    }
}
