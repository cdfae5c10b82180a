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

    /**
     * The backend's short name.
     *
     * @return "cpu", "reference", "cuda" or "opencl"
     */
    String name();

    /**
     * One line about the device, for logs and {@code descent devices}.
     *
     * @return the device model, threads or memory, and the GEMM in use
     */
    String describe();

    /**
     * Allocates a buffer on the device.
     *
     * @param length floats in the buffer
     * @return a zero-filled buffer of {@code length} floats
     */
    Buf allocate(int length);

    /**
     * Releases a buffer this backend allocated; using it afterwards is an error.
     *
     * @param buf the buffer to release
     */
    void free(Buf buf);

    /**
     * Copies host floats into a device buffer.
     *
     * @param src host array
     * @param srcOffset first element read from {@code src}
     * @param dst device buffer
     * @param dstOffset first element written in {@code dst}
     * @param length floats copied
     */
    void upload(float[] src, int srcOffset, Buf dst, int dstOffset, int length);

    /**
     * Copies device floats into a host array, after all queued work has finished.
     *
     * @param src device buffer
     * @param srcOffset first element read from {@code src}
     * @param dst host array
     * @param dstOffset first element written in {@code dst}
     * @param length floats copied
     */
    void download(Buf src, int srcOffset, float[] dst, int dstOffset, int length);

    /**
     * Sets a range of a buffer to one value.
     *
     * @param buf the buffer
     * @param offset first element set
     * @param length elements set
     * @param value the value written
     */
    void fill(Buf buf, int offset, int length, float value);

    /**
     * Device-to-device copy (also the benchmarks' bandwidth yardstick). The ranges must not
     * overlap.
     *
     * @param src source buffer
     * @param srcOffset first element read
     * @param dst destination buffer
     * @param dstOffset first element written
     * @param length floats copied
     */
    void copy(Buf src, int srcOffset, Buf dst, int dstOffset, int length);

    /** Waits until all queued work has finished; a no-op for synchronous backends. */
    default void synchronize() {}

    /**
     * Opens one training step's work (gather, forward, backward, update), which reads nothing
     * back to the host and issues the same sequence of operations every time its shape comes: a
     * backend may record it once and replay it (the CUDA backend's graphs, when on). Operations
     * keep their meaning in between; a host read or write inside the step is allowed and only
     * makes that step run unrecorded. The default does nothing.
     *
     * @param shape a key for what fixes the step's sequence of operations and their sizes: the
     *     session passes the batch's rows, with bit 30 set for a step without the batch's gather
     */
    default void beginRepeatedStep(int shape) {}

    /**
     * Closes the step {@link #beginRepeatedStep} opened; the work is then queued as if issued
     * one operation at a time.
     *
     * @param completed false when the step ended by an exception (nothing of it is kept for replay)
     */
    default void endRepeatedStep(boolean completed) {}

    /**
     * What the backend has made of the repeated steps so far, for a person to read. {@code train}
     * prints it.
     *
     * @return for the CUDA backend with graphs on, graphs built, steps replayed, divergences and
     *     a graph call the driver refused; null for a backend that records nothing
     */
    default String repeatedSteps() {
        return null;
    }

    /**
     * Gathers rows: {@code dst[r][*] = src[index[indexOffset + r]][*]} for {@code r < rows}
     * (how a mini-batch is assembled from a device-resident data set).
     *
     * @param src row-major source matrix
     * @param cols floats per row
     * @param index row numbers, stored as floats
     * @param indexOffset first entry of {@code index} used
     * @param rows rows gathered
     * @param dst destination, {@code rows x cols}
     */
    void gatherRows(Buf src, int cols, Buf index, int indexOffset, int rows, Buf dst);

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with op(A) m x k, op(B) k x n, C m x n.
     * A is stored m x k (k x m when {@code transA}), B k x n (n x k when {@code transB}).
     * With beta = 0, C's previous contents are ignored (NaN included), as in BLAS.
     *
     * @param transA whether A is stored transposed
     * @param transB whether B is stored transposed
     * @param m rows of C
     * @param n columns of C
     * @param k the inner dimension
     * @param alpha scale of the product
     * @param a buffer holding A
     * @param aOffset first element of A
     * @param b buffer holding B
     * @param bOffset first element of B
     * @param beta scale of C's previous contents
     * @param c buffer holding C
     * @param cOffset first element of C
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              Buf a, int aOffset, Buf b, int bOffset, float beta, Buf c, int cOffset);

    /**
     * Fused epilogue of a dense layer: {@code z[r][c] += bias[c]; out[r][c] = act(z[r][c])}.
     *
     * @param act the activation
     * @param rows rows of z (the batch)
     * @param cols columns of z (the layer's width)
     * @param z pre-activations, updated in place
     * @param zOffset first element of z
     * @param bias the bias vector, {@code cols} floats
     * @param biasOffset first element of the bias
     * @param out activations written
     * @param outOffset first element of out
     */
    void biasActivation(Activation act, int rows, int cols, Buf z, int zOffset, Buf bias, int biasOffset,
                        Buf out, int outOffset);

    /**
     * Backward through an activation: {@code gradZ[i] = gradOut[i] * act'(z[i])} for {@code i < n}.
     *
     * @param act the activation
     * @param n elements
     * @param z pre-activations of the forward pass
     * @param zOffset first element of z
     * @param gradOut gradient with respect to the activations
     * @param gradOutOffset first element of gradOut
     * @param gradZ gradient with respect to z, written
     * @param gradZOffset first element of gradZ
     */
    void activationBackward(Activation act, int n, Buf z, int zOffset, Buf gradOut, int gradOutOffset,
                            Buf gradZ, int gradZOffset);

    /**
     * Column sums for the bias gradient: {@code gradBias[c] = sum over r of gradZ[r][c]}.
     *
     * @param rows rows of gradZ
     * @param cols columns of gradZ
     * @param gradZ the layer's pre-activation gradient
     * @param gradZOffset first element of gradZ
     * @param gradBias the bias gradient, written
     * @param gradBiasOffset first element of gradBias
     */
    void biasGradient(int rows, int cols, Buf gradZ, int gradZOffset, Buf gradBias, int gradBiasOffset);

    /**
     * Loss forward and gradient in one pass (see {@link Loss}). Training mode
     * ({@code evaluation == false}) writes {@code grad} and sets control[BATCH_LOSS] and
     * control[BATCH_CORRECT]; evaluation mode adds to control[EVAL_LOSS_SUM] and
     * control[EVAL_CORRECT_SUM] and ignores {@code grad} (may be null).
     *
     * @param loss the loss function
     * @param rows rows of the batch
     * @param cols outputs per row
     * @param output the network's outputs (logits for cross-entropy)
     * @param outputOffset first element of output
     * @param target class indices as floats (cross-entropy) or target values (MSE)
     * @param targetOffset first element of target
     * @param grad gradient with respect to output, written in training mode
     * @param gradOffset first element of grad
     * @param control the control block
     * @param evaluation whether to accumulate evaluation sums instead of training a batch
     */
    void loss(Loss loss, int rows, int cols, Buf output, int outputOffset, Buf target, int targetOffset,
              Buf grad, int gradOffset, Buf control, boolean evaluation);

    /**
     * The squared global gradient norm: {@code control[NORM_SQ]} = sum over {@code i < length}
     * of {@code clamp(g[i], -clipValue, clipValue)^2} (no clamp if {@code clipValue <= 0}).
     *
     * @param grads the gradient arena
     * @param length elements
     * @param clipValue value clipping applied before squaring; 0 or less for none
     * @param control the control block
     */
    void gradientNorm(Buf grads, int length, float clipValue, Buf control);

    /**
     * Decides on the device whether the step in progress goes ahead: if control[BATCH_LOSS] or
     * control[NORM_SQ] is not finite the step is skipped (SKIP = 1, BAD_STREAK and BAD_TOTAL
     * grow, BAD_STREAK_START records {@code batchIndex} when a streak begins, HALTED latches when
     * the streak reaches {@code guard.maxBadSteps()}, after which every step is skipped); otherwise STEP
     * advances, CLIP_SCALE is set from {@code guard}, the batch loss and correct counts are
     * added to the epoch sums with {@code rows} samples, and NAdam's mu product advances.
     * Semantics are given once, in {@link StepLogic}.
     *
     * @param spec the update rule (NAdam's mu product needs it)
     * @param guard clipping norm and the halt threshold
     * @param batchIndex the batch's index in the run, recorded when a bad streak begins
     * @param rows samples in the batch
     * @param control the control block
     */
    void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, Buf control);

    /**
     * One fused update of the whole arena with rule {@code spec} at learning rate {@code lr},
     * unless control[SKIP] is set. Elements {@code [0, decayEnd)} receive weight decay, the rest
     * do not. Gradients are read as clamp(g, +-clipValue) * control[CLIP_SCALE].
     * {@code state} holds {@code spec.stateCount()} buffers laid out like {@code params}.
     *
     * @param spec the update rule and its hyperparameters
     * @param lr the learning rate for this step
     * @param params the parameter arena, updated in place
     * @param grads the gradient arena
     * @param state the rule's state buffers, updated in place
     * @param length elements updated
     * @param decayEnd elements below this index take weight decay (weights, not biases)
     * @param clipValue value clipping; 0 or less for none
     * @param control the control block
     */
    void step(OptimizerSpec spec, float lr, Buf params, Buf grads, Buf[] state, int length, int decayEnd,
              float clipValue, Buf control);

    /**
     * Bytes one buffer element takes on this backend.
     *
     * @return 4 (float32)
     */
    default int elementBytes() {
        return 4;
    }

    /**
     * Bytes still free for new buffers, as well as the backend can tell (the JVM heap for
     * backends that keep buffers on it); {@link Long#MAX_VALUE} when it cannot tell, in which
     * case the device reports exhaustion itself.
     *
     * @return free bytes for new buffers
     */
    default long availableBytes() {
        return Long.MAX_VALUE;
    }

    /**
     * Checks that the backend is usable.
     *
     * @throws IllegalStateException when this backend has been closed
     */
    void ensureOpen();

    /**
     * Whether {@link #close} has been called.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * Frees everything this backend allocated. A second call does nothing; after the first,
     * every method that touches the device throws IllegalStateException.
     */
    @Override
    void close();
}
