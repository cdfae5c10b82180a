package dev.descent.cpu;

import dev.descent.Activation;
import dev.descent.Control;
import dev.descent.Loss;

/**
 * The CPU backend's element-wise and reduction kernels in float32. The activation switch sits
 * outside each loop so the loops stay simple enough for HotSpot to vectorize; reductions sum per
 * chunk in double and combine the chunks in order, so they are deterministic.
 */
final class CpuOps {
    private CpuOps() {}

    private static final int ELEMENT_GRAIN = 1 << 13;

    static void biasActivation(Parallel par, Activation act, int rows, int cols, float[] z, int zOff,
                               float[] bias, int biasOff, float[] out, int outOff) {
        par.forRange(rows, Math.max(1, ELEMENT_GRAIN / Math.max(1, cols)), 1, (chunk, from, to) -> {
            for (int r = from; r < to; r++) {
                int zr = zOff + r * cols;
                for (int c = 0; c < cols; c++) {
                    z[zr + c] += bias[biasOff + c];
                }
                activate(act, z, zr, out, outOff + r * cols, cols);
            }
        });
    }

    private static void activate(Activation act, float[] z, int zOff, float[] out, int outOff, int n) {
        switch (act) {
            case IDENTITY:
                System.arraycopy(z, zOff, out, outOff, n);
                break;
            case RELU:
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = Math.max(z[zOff + i], 0f);
                }
                break;
            case LEAKY_RELU:
                for (int i = 0; i < n; i++) {
                    float v = z[zOff + i];
                    out[outOff + i] = v > 0 ? v : (float) Activation.LEAKY_SLOPE * v;
                }
                break;
            case SIGMOID:
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = (float) (1 / (1 + Math.exp(-z[zOff + i])));
                }
                break;
            case TANH:
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = (float) Math.tanh(z[zOff + i]);
                }
                break;
            case GELU:
                for (int i = 0; i < n; i++) {
                    double v = z[zOff + i];
                    out[outOff + i] = (float) (0.5 * v
                            * (1 + Math.tanh(Activation.GELU_C * (v + Activation.GELU_A * v * v * v))));
                }
                break;
            default:
                throw new AssertionError(act);
        }
    }

    static void activationBackward(Parallel par, Activation act, int n, float[] z, int zOff, float[] gradOut,
                                   int goOff, float[] gradZ, int gzOff) {
        par.forRange(n, ELEMENT_GRAIN, 16, (chunk, from, to) -> {
            switch (act) {
                case IDENTITY:
                    System.arraycopy(gradOut, goOff + from, gradZ, gzOff + from, to - from);
                    break;
                case RELU:
                    for (int i = from; i < to; i++) {
                        gradZ[gzOff + i] = z[zOff + i] > 0 ? gradOut[goOff + i] : 0f;
                    }
                    break;
                case LEAKY_RELU:
                    for (int i = from; i < to; i++) {
                        float g = gradOut[goOff + i];
                        gradZ[gzOff + i] = z[zOff + i] > 0 ? g : (float) Activation.LEAKY_SLOPE * g;
                    }
                    break;
                default:
                    // sigmoid, tanh, GELU: transcendental anyway, share the reference derivative.
                    for (int i = from; i < to; i++) {
                        gradZ[gzOff + i] = (float) (gradOut[goOff + i] * act.derivative(z[zOff + i]));
                    }
            }
        });
    }

    static void biasGradient(Parallel par, int rows, int cols, float[] gradZ, int gzOff, float[] gb, int gbOff) {
        // Columns are independent: each thread owns a column range and walks the rows in order.
        par.forRange(cols, Math.max(16, ELEMENT_GRAIN / Math.max(1, rows)), 16, (chunk, from, to) -> {
            java.util.Arrays.fill(gb, gbOff + from, gbOff + to, 0f);
            for (int r = 0; r < rows; r++) {
                int row = gzOff + r * cols;
                for (int c = from; c < to; c++) {
                    gb[gbOff + c] += gradZ[row + c];
                }
            }
        });
    }

    static void loss(Parallel par, Loss loss, int rows, int cols, float[] y, int yOff, float[] t, int tOff,
                     float[] grad, int gOff, float[] control, boolean evaluation) {
        int chunks = par.chunks(rows, 64);
        double[] lossPart = new double[chunks];
        int[] correctPart = new int[chunks];
        par.forRange(rows, 64, 1, (chunk, from, to) -> {
            double sum = 0;
            int correct = 0;
            for (int r = from; r < to; r++) {
                int row = yOff + r * cols;
                int gRow = gOff + r * cols;
                if (loss == Loss.SOFTMAX_CROSS_ENTROPY) {
                    int label = (int) t[tOff + r];
                    int argmax = 0;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int c = 0; c < cols; c++) {
                        if (y[row + c] > max) {
                            max = y[row + c];
                            argmax = c;
                        }
                    }
                    double sumExp = 0;
                    for (int c = 0; c < cols; c++) {
                        sumExp += Math.exp(y[row + c] - max);
                    }
                    sum += Math.log(sumExp) + max - y[row + label];
                    correct += argmax == label ? 1 : 0;
                    if (!evaluation) {
                        double inv = 1.0 / sumExp;
                        for (int c = 0; c < cols; c++) {
                            double p = Math.exp(y[row + c] - max) * inv;
                            grad[gRow + c] = (float) ((p - (c == label ? 1 : 0)) / rows);
                        }
                    }
                } else {
                    float scale = 2f / ((float) rows * cols);
                    for (int c = 0; c < cols; c++) {
                        float diff = y[row + c] - t[tOff + r * cols + c];
                        sum += (double) diff * diff / cols;
                        if (!evaluation) {
                            grad[gRow + c] = scale * diff;
                        }
                    }
                }
            }
            lossPart[chunk] = sum;
            correctPart[chunk] = correct;
        });
        double lossSum = 0;
        int correct = 0;
        for (int c = 0; c < chunks; c++) {
            lossSum += lossPart[c];
            correct += correctPart[c];
        }
        if (evaluation) {
            control[Control.EVAL_LOSS_SUM] += (float) lossSum;
            control[Control.EVAL_CORRECT_SUM] += correct;
        } else {
            control[Control.BATCH_LOSS] = (float) lossSum;
            control[Control.BATCH_CORRECT] = correct;
        }
    }

    static void gradientNorm(Parallel par, float[] g, int length, float clipValue, float[] control) {
        int chunks = par.chunks(length, ELEMENT_GRAIN);
        double[] part = new double[chunks];
        par.forRange(length, ELEMENT_GRAIN, 16, (chunk, from, to) -> {
            // Double accumulation: float block sums drift by ~1e-5 on long runs of equal (clipped) values.
            double sum = 0;
            if (clipValue > 0) {
                for (int i = from; i < to; i++) {
                    double v = Math.max(-clipValue, Math.min(clipValue, g[i]));
                    sum += v * v;
                }
            } else {
                for (int i = from; i < to; i++) {
                    sum += (double) g[i] * g[i];
                }
            }
            part[chunk] = sum;
        });
        double total = 0;
        for (double p : part) {
            total += p;
        }
        control[Control.NORM_SQ] = (float) total;
    }
}
