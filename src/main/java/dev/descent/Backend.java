package dev.descent;

import dev.descent.internal.StepLogic;
import dev.descent.optim.OptimizerSpec;

/**
 * The backend contract: everything {@link Session}, {@link Trainer} and {@link ParameterSet}
 * need from a device, and nothing else. Backends hold no training logic.
 *
 * <p>Matrices are dense and row-major; a matrix argument is a (buffer, offset) pair. Scalars a
 * step produces (loss, norm, skip flag, step count) stay in the control block
 * ({@link Control}) on the device, so a training step is a sequence of launches with no host
 * round-trip.
 *
 * <p>Threading: a backend's methods are not thread-safe on their own (one OpenCL kernel object,
 * CPU scratch, one CUDA stream). {@link Session}, {@link ParameterSet} and {@link DeviceDataset}
 * lock the backend object around every operation, so any number of them may share one backend
 * across threads; code that calls a backend directly from several threads must hold the same
 * lock ({@code synchronized (backend)}).
 */
public interface Backend extends AutoCloseable {

    /** Short name: "cpu", "reference", "cuda", "opencl". */
    String name();

    /** One line about the device (model, threads, memory). */
    String describe();

    /** A zero-filled buffer of {@code length} floats. */
    Buf allocate(int length);

    void free(Buf buf);

    void upload(float[] src, int srcOffset, Buf dst, int dstOffset, int length);

    void download(Buf src, int srcOffset, float[] dst, int dstOffset, int length);

    void fill(Buf buf, int offset, int length, float value);

    /** Device-to-device copy of {@code length} floats (also the benchmarks' bandwidth yardstick). */
    void copy(Buf src, int srcOffset, Buf dst, int dstOffset, int length);

    /** Waits until all queued work has finished; a no-op for synchronous backends. */
    default void synchronize() {}

    /** {@code dst[r][*] = src[index[indexOffset + r]][*]} for {@code r < rows}, rows of {@code cols} floats. */
    void gatherRows(Buf src, int cols, Buf index, int indexOffset, int rows, Buf dst);

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with op(A) m x k, op(B) k x n, C m x n.
     * A is stored m x k (k x m when {@code transA}), B k x n (n x k when {@code transB}).
     * With beta = 0, C's previous contents are ignored (NaN included), as in BLAS.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              Buf a, int aOffset, Buf b, int bOffset, float beta, Buf c, int cOffset);

    /** Fused epilogue: {@code z[r][c] += bias[c]; out[r][c] = act(z[r][c])}. */
    void biasActivation(Activation act, int rows, int cols, Buf z, int zOffset, Buf bias, int biasOffset,
                        Buf out, int outOffset);

    /** {@code gradZ[i] = gradOut[i] * act'(z[i])} for {@code i < n}. */
    void activationBackward(Activation act, int n, Buf z, int zOffset, Buf gradOut, int gradOutOffset,
                            Buf gradZ, int gradZOffset);

    /** {@code gradBias[c] = sum over r of gradZ[r][c]}. */
    void biasGradient(int rows, int cols, Buf gradZ, int gradZOffset, Buf gradBias, int gradBiasOffset);

    /**
     * Loss forward and gradient in one pass (see {@link Loss}). Training mode
     * ({@code evaluation == false}) writes {@code grad} and sets control[BATCH_LOSS] and
     * control[BATCH_CORRECT]; evaluation mode adds to control[EVAL_LOSS_SUM] and
     * control[EVAL_CORRECT_SUM] and ignores {@code grad} (may be null).
     */
    void loss(Loss loss, int rows, int cols, Buf output, int outputOffset, Buf target, int targetOffset,
              Buf grad, int gradOffset, Buf control, boolean evaluation);

    /** {@code control[NORM_SQ]} = sum over {@code i < length} of {@code clamp(g[i], -clipValue, clipValue)^2} (no clamp if {@code clipValue <= 0}). */
    void gradientNorm(Buf grads, int length, float clipValue, Buf control);

    /**
     * Decides on the device whether the step in progress goes ahead: if control[BATCH_LOSS] or
     * control[NORM_SQ] is not finite the step is skipped (SKIP = 1, BAD_STREAK and BAD_TOTAL
     * grow, BAD_STREAK_START records {@code batchIndex} when a streak begins, HALTED latches when
     * the streak reaches {@code guard.maxBadSteps()}, after which every step is skipped); otherwise STEP
     * advances, CLIP_SCALE is set from {@code guard}, the batch loss and correct counts are
     * added to the epoch sums with {@code rows} samples, and NAdam's mu product advances.
     * Semantics are given once, in {@link StepLogic}.
     */
    void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, Buf control);

    /**
     * One fused update of the whole arena with rule {@code spec} at learning rate {@code lr},
     * unless control[SKIP] is set. Elements {@code [0, decayEnd)} receive weight decay, the rest
     * do not. Gradients are read as clamp(g, +-clipValue) * control[CLIP_SCALE].
     * {@code state} holds {@code spec.stateCount()} buffers laid out like {@code params}.
     */
    void step(OptimizerSpec spec, float lr, Buf params, Buf grads, Buf[] state, int length, int decayEnd,
              float clipValue, Buf control);

    /** Bytes one buffer element takes on this backend (4 for float32). */
    default int elementBytes() {
        return 4;
    }

    /**
     * Bytes still free for new buffers, as well as the backend can tell (the JVM heap for
     * backends that keep buffers on it); {@link Long#MAX_VALUE} when it cannot tell, in which
     * case the device reports exhaustion itself.
     */
    default long availableBytes() {
        return Long.MAX_VALUE;
    }

    /** Throws IllegalStateException when this backend has been closed. */
    void ensureOpen();

    boolean isClosed();

    /**
     * Frees everything this backend allocated. A second call does nothing; after the first,
     * every method that touches the device throws IllegalStateException.
     */
    @Override
    void close();
}
