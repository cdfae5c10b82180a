package dev.descent.cpu;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Buf;
import dev.descent.Control;
import dev.descent.Loss;
import dev.descent.StepGuard;
import dev.descent.internal.StepLogic;
import dev.descent.optim.OptimizerSpec;
import dev.descent.internal.ReferenceRules;

/**
 * The oracle: every op as a plain loop over doubles (storage included), written for clarity
 * rather than speed. Parity tests run the same inputs through this backend and the one under
 * test and compare with relative L2 error. It is a full backend, so whole training runs can be
 * compared too.
 */
public final class ReferenceBackend extends dev.descent.BackendBase {
    /**
     * The double-precision oracle: slow, single-threaded, buffers on the Java heap.
     */
    public ReferenceBackend() {
        super("reference", true);
    }

    @Override
    public int elementBytes() {
        return 8;
    }

    static final class DoubleBuf implements Buf {
        final double[] data;

        DoubleBuf(int length) {
            data = new double[length];
        }

        @Override
        public int length() {
            return data.length;
        }
    }

    private static double[] d(Buf buf) {
        return ((DoubleBuf) buf).data;
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String describe() {
        return "double-precision reference loops (single thread)";
    }

    @Override
    public Buf allocate(int length) {
        life.check();
        return new DoubleBuf(length);
    }

    @Override
    public void free(Buf buf) {
        // garbage collected
    }

    @Override
    public void upload(float[] src, int srcOffset, Buf dst, int dstOffset, int length) {
        life.check();
        for (int i = 0; i < length; i++) {
            d(dst)[dstOffset + i] = src[srcOffset + i];
        }
    }

    @Override
    public void download(Buf src, int srcOffset, float[] dst, int dstOffset, int length) {
        life.check();
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = (float) d(src)[srcOffset + i];
        }
    }

    /**
     * Exact contents, for tests that compare against the double result before rounding.
     *
     * @param buf a buffer of this backend
     * @return a copy of its doubles
     */
    public double[] contents(Buf buf) {
        return d(buf);
    }

    @Override
    public void fill(Buf buf, int offset, int length, float value) {
        life.check();
        java.util.Arrays.fill(d(buf), offset, offset + length, value);
    }

    @Override
    public void copy(Buf src, int srcOffset, Buf dst, int dstOffset, int length) {
        life.check();
        System.arraycopy(d(src), srcOffset, d(dst), dstOffset, length);
    }

    @Override
    public void gatherRows(Buf src, int cols, Buf index, int indexOffset, int rows, Buf dst) {
        life.check();
        for (int r = 0; r < rows; r++) {
            int from = (int) d(index)[indexOffset + r];
            System.arraycopy(d(src), from * cols, d(dst), r * cols, cols);
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Buf a, int aOffset, Buf b, int bOffset, float beta, Buf c, int cOffset) {
        life.check();
        double[] A = d(a), B = d(b), C = d(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? A[aOffset + p * m + i] : A[aOffset + i * k + p];
                    double bv = transB ? B[bOffset + j * k + p] : B[bOffset + p * n + j];
                    sum += av * bv;
                }
                int ci = cOffset + i * n + j;
                C[ci] = alpha * sum + (beta == 0 ? 0 : beta * C[ci]);
            }
        }
    }

    @Override
    public void biasActivation(Activation act, int rows, int cols, Buf z, int zOffset, Buf bias, int biasOffset,
                               Buf out, int outOffset) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = d(z)[zOffset + r * cols + c] + d(bias)[biasOffset + c];
                d(z)[zOffset + r * cols + c] = v;
                d(out)[outOffset + r * cols + c] = act.apply(v);
            }
        }
    }

    @Override
    public void activationBackward(Activation act, int n, Buf z, int zOffset, Buf gradOut, int gradOutOffset,
                                   Buf gradZ, int gradZOffset) {
        for (int i = 0; i < n; i++) {
            d(gradZ)[gradZOffset + i] = d(gradOut)[gradOutOffset + i] * act.derivative(d(z)[zOffset + i]);
        }
    }

    @Override
    public void biasGradient(int rows, int cols, Buf gradZ, int gradZOffset, Buf gradBias, int gradBiasOffset) {
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                sum += d(gradZ)[gradZOffset + r * cols + c];
            }
            d(gradBias)[gradBiasOffset + c] = sum;
        }
    }

    @Override
    public void loss(Loss loss, int rows, int cols, Buf output, int outputOffset, Buf target, int targetOffset,
                     Buf grad, int gradOffset, Buf control, boolean evaluation) {
        double[] y = d(output), t = d(target);
        double lossSum = 0;
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            int row = outputOffset + r * cols;
            if (loss == Loss.SOFTMAX_CROSS_ENTROPY) {
                int label = (int) t[targetOffset + r];
                int argmax = 0;
                double max = Double.NEGATIVE_INFINITY;
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
                lossSum += Math.log(sumExp) + max - y[row + label];
                correct += argmax == label ? 1 : 0;
                if (!evaluation) {
                    for (int c = 0; c < cols; c++) {
                        double p = Math.exp(y[row + c] - max) / sumExp;
                        d(grad)[gradOffset + r * cols + c] = (p - (c == label ? 1 : 0)) / rows;
                    }
                }
            } else {
                for (int c = 0; c < cols; c++) {
                    double diff = y[row + c] - t[targetOffset + r * cols + c];
                    lossSum += diff * diff / cols;
                    if (!evaluation) {
                        d(grad)[gradOffset + r * cols + c] = 2 * diff / ((double) rows * cols);
                    }
                }
            }
        }
        double[] ctl = d(control);
        if (evaluation) {
            ctl[Control.EVAL_LOSS_SUM] += lossSum;
            ctl[Control.EVAL_CORRECT_SUM] += correct;
        } else {
            ctl[Control.BATCH_LOSS] = lossSum;
            ctl[Control.BATCH_CORRECT] = correct;
        }
    }

    @Override
    public void gradientNorm(Buf grads, int length, float clipValue, Buf control) {
        life.check();
        double sum = 0;
        for (int i = 0; i < length; i++) {
            double g = clamp(d(grads)[i], clipValue);
            sum += g * g;
        }
        d(control)[Control.NORM_SQ] = sum;
    }

    static double clamp(double g, double clipValue) {
        return clipValue > 0 ? Math.max(-clipValue, Math.min(clipValue, g)) : g;
    }

    @Override
    public void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, Buf control) {
        life.check();
        StepLogic.beginStep(spec, guard, batchIndex, rows, d(control));
    }

    @Override
    public void step(OptimizerSpec spec, float lr, Buf params, Buf grads, Buf[] state, int length, int decayEnd,
                     float clipValue, Buf control) {
        life.check();
        double[] ctl = d(control);
        if (ctl[Control.SKIP] != 0) {
            return;
        }
        double scale = ctl[Control.CLIP_SCALE];
        double[] g = new double[length];
        for (int i = 0; i < length; i++) {
            g[i] = clamp(d(grads)[i], clipValue) * scale;
        }
        double[][] s = new double[state.length][];
        for (int j = 0; j < state.length; j++) {
            s[j] = d(state[j]);
        }
        double[] p = d(params);
        double[] oldP = p.clone();
        double[][] oldS = new double[s.length][];
        for (int j = 0; j < s.length; j++) {
            oldS[j] = s[j].clone();
        }
        ReferenceRules.step(spec, lr, p, g, s, decayEnd, (long) ctl[Control.STEP], ctl[Control.MU_PRODUCT]);
        // Commit only what a float32 backend could hold: an element whose new parameter or state
        // would be non-finite as a float keeps its previous values, and the step is flagged.
        for (int i = 0; i < length; i++) {
            boolean finite = Float.isFinite((float) p[i]);
            for (double[] sj : s) {
                finite &= Float.isFinite((float) sj[i]);
            }
            if (!finite) {
                p[i] = oldP[i];
                for (int j = 0; j < s.length; j++) {
                    s[j][i] = oldS[j][i];
                }
                ctl[Control.OUTPUT_BAD] = 1;
            }
        }
    }

    @Override
    public void close() {
        life.close();
        // nothing native
    }
}
