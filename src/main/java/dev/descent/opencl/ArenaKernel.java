package dev.descent.opencl;

import com.aparapi.Kernel;
import dev.descent.Control;

/**
 * Every op of the OpenCL backend in one Aparapi kernel. Aparapi binds buffers per Kernel
 * instance, so one instance owns one float heap ({@link #mem}) in which every buffer of the
 * backend is an offset, and each launch selects its op through {@link #op} and passes offsets
 * and sizes through the argument setters (fillArgs, gemmArgs, updateArgs...). Aparapi
 * translates this class's bytecode to OpenCL C, which limits what it may contain: primitive fields and arrays, private methods, no objects, no
 * long indices, no doubles (not every device has fp64), no Float.isNaN.
 *
 * <p>Aparapi emits helpers in call-graph discovery order, not declaration order, and a helper
 * reached along two paths can land after one of its callers (OpenCL C then rejects the call);
 * helpers therefore call at most helpers that nothing else calls first. Helper names avoid
 * OpenCL built-ins (tanhf, expm1f).
 *
 * <p>Element-wise ops and updates give each work-item {@link #span} consecutive elements: 1 on
 * GPUs (neighbouring work-items touch neighbouring floats, so loads coalesce), 256 on CPU
 * devices. On PoCL one element per work-item relies on PoCL vectorizing its loop over the
 * work-items, and that loop runs through this kernel's whole op dispatch: with more than four
 * update ops in the kernel it stayed scalar, and fused Adam moved 4.6 GB/s. A plain inner loop
 * over a span is vectorized by LLVM on its own; the same Adam moves 20-28 GB/s. Grid-stride loops
 * (stride = global size) are not vectorizable at all (0.8 GB/s for a copy). Each loop reads its
 * scalars (fields, the clip scale, per-step coefficients) into locals first, so the loop body
 * loads nothing but the element streams. Only the reductions keep a fixed grid (their
 * determinism depends on it).
 *
 * <p>Loops name no stream they do not touch and read no kernel field: the variants of a rule
 * that use different state (AMSGrad, RMSprop centered and with momentum, SGD with momentum)
 * are separate loops, and every offset and scalar is a local. LLVM vectorizes a loop behind a
 * run-time check that its streams do not overlap; an absent state's stream behind a flag still
 * enters that check (its offset -1 overlaps the parameters, so the scalar path runs), or is
 * accessed with masked vector loads (slow where the address is unmapped). Each cost PoCL 3-5x;
 * a helper called with a constant flag did not help, as it was not always inlined.
 *
 * <p>Formulas are those of dev/descent/internal/ReferenceRules.java and the CUDA kernels, in float.
 * Reductions use a fixed number of work-groups and a local-memory tree, so they are
 * deterministic. Control-block slots are read through Control's constants, which javac inlines
 * as numbers before Aparapi sees the bytecode (OpenClControlSlotsTest checks none is a literal).
 */
final class ArenaKernel extends Kernel {
    static final int FILL = 1, COPY = 2, GATHER = 3, BIAS_ACT = 4, ACT_BACK = 5, BIAS_GRAD = 6, GEMM = 7,
            NORM_PARTIAL = 8, XENT = 9, MSE = 10, FINISH = 11, BEGIN_STEP = 12, SGD = 13, ADAM = 14, ADAGRAD = 15,
            RMSPROP = 16, ADADELTA = 17, NADAM = 18, RADAM = 19, COEFFICIENTS = 20, GEMM_ROWS = 21,
            TRANSPOSE = 22;
    /** Threads per work-group for 1-D ops, and GEMM tile edge (TILE x TILE work-items). */
    static final int GROUP = 256;
    static final int TILE = 16;
    /** Work-groups of the reductions' first stage (a fixed grid keeps them deterministic). */
    static final int REDUCE_GROUPS = 64;
    /** Rows of C each GEMM_ROWS work-item owns (register blocking: B's row read once per block). */
    static final int ROW_BLOCK = 4;

    float[] mem = new float[4];
    @Local float[] tileA = new float[TILE * TILE];
    @Local float[] tileB = new float[TILE * TILE];
    @Local float[] red = new float[GROUP];
    @Local float[] red2 = new float[GROUP];

    int op;
    /** Consecutive elements per work-item in element-wise and update ops (see above). */
    int span = 1;
    /**
     * Argument registers. Aparapi passes every field of the kernel as an argument of every
     * launch, so the ops share these positional slots instead of each owning named fields (one
     * per role per op would be about 80 arguments set on each launch). Only the setters below
     * write them, with named parameters, and each op reads them once into named locals; offsets
     * are heap indices of {@link #mem}.
     */
    private int i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11;
    private float f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10;

    // ---- arguments, one setter per op (host side; Aparapi translates only what run() reaches) ----

    void fillArgs(int dst, int n, float value) {
        i0 = dst;
        i1 = n;
        f0 = value;
    }

    void copyArgs(int src, int dst, int n) {
        i0 = src;
        i1 = dst;
        i2 = n;
    }

    /** dst (cols x rows) = src (rows x cols) transposed. */
    void transposeArgs(int src, int rows, int cols, int dst) {
        i0 = src;
        i1 = rows;
        i2 = cols;
        i3 = dst;
    }

    void gatherArgs(int src, int cols, int index, int rows, int dst) {
        i0 = src;
        i1 = cols;
        i2 = index;
        i3 = rows;
        i4 = dst;
    }

    void biasActivationArgs(int act, int rows, int cols, int z, int bias, int out) {
        i0 = act;
        i1 = rows;
        i2 = cols;
        i3 = z;
        i4 = bias;
        i5 = out;
    }

    void activationBackwardArgs(int act, int n, int z, int gradOut, int gradZ) {
        i0 = act;
        i1 = n;
        i2 = z;
        i3 = gradOut;
        i4 = gradZ;
    }

    void biasGradientArgs(int rows, int cols, int gradZ, int gradBias) {
        i0 = rows;
        i1 = cols;
        i2 = gradZ;
        i3 = gradBias;
    }

    /** For GEMM and GEMM_ROWS: C (m x n) = alpha op(A) op(B) + beta C, inner dimension k. */
    void gemmArgs(boolean transA, boolean transB, int m, int n, int k, int a, int b, int c, float alpha, float beta) {
        i0 = transA ? 1 : 0;
        i1 = transB ? 1 : 0;
        i2 = m;
        i3 = n;
        i4 = k;
        i5 = a;
        i6 = b;
        i7 = c;
        f0 = alpha;
        f1 = beta;
    }

    /** partial[group] = sum over the group's share of clamp(g, clip)^2. */
    void normArgs(int g, int n, int partial, float clip) {
        i0 = g;
        i1 = n;
        i2 = partial;
        f0 = clip;
    }

    /** For XENT and MSE; grad -1 computes no gradient. */
    void lossArgs(int rows, int cols, int y, int targets, int grad, int partial) {
        i0 = rows;
        i1 = cols;
        i2 = y;
        i3 = targets;
        i4 = grad;
        i5 = partial;
    }

    /** control[slot + k] = (accumulate ? control[slot + k] : 0) + the sum of partial series k. */
    void finishArgs(int partial, int countPerSeries, int series, int control, int slot, boolean accumulate) {
        i0 = partial;
        i1 = countPerSeries;
        i2 = series;
        i3 = control;
        i4 = slot;
        i5 = accumulate ? 1 : 0;
    }

    /** muDecayLn: NAdam's momentum decay times ln 0.96 (0 unless nadam). */
    void beginStepArgs(int control, int maxBadSteps, int rows, boolean nadam, float maxNorm, float batchIndex,
                       float beta1, float muDecayLn) {
        i0 = control;
        i1 = maxBadSteps;
        i2 = rows;
        i3 = nadam ? 1 : 0;
        f0 = maxNorm;
        f1 = batchIndex;
        f2 = beta1;
        f3 = muDecayLn;
    }

    /**
     * The layout every update op and COEFFICIENTS share: parameters, gradients, up to three state
     * buffers (-1: absent), the elements below decayEnd take weight decay, the step's scalars go
     * to coefficients, and the rule's own values follow in one of the setters below.
     */
    void updateArgs(int params, int grads, int state0, int state1, int state2, int n, int decayEnd, int control,
                    int coefficients, float lr, float clip, float weightDecay) {
        i0 = params;
        i1 = grads;
        i2 = state0;
        i3 = state1;
        i4 = state2;
        i5 = n;
        i6 = decayEnd;
        i7 = control;
        i10 = coefficients;
        f0 = lr;
        f1 = clip;
        f2 = weightDecay;
    }

    /** Which update op the COEFFICIENTS launch prepares. */
    void coefficientsFor(int updateOp) {
        i11 = updateOp;
    }

    void sgdArgs(float momentum, float oneMinusDampening, boolean nesterov, boolean hasBuffer) {
        f3 = momentum;
        f4 = oneMinusDampening;
        i8 = nesterov ? 1 : 0;
        i9 = hasBuffer ? 1 : 0;
    }

    /** Adam, NAdam and RAdam: the logs and complements formed in double on the host. */
    void betaArgs(float beta1, float beta2, float eps, float lnBeta1, float lnBeta2, float oneMinusBeta1,
                  float oneMinusBeta2) {
        f3 = beta1;
        f4 = beta2;
        f5 = eps;
        f6 = lnBeta1;
        f7 = lnBeta2;
        f8 = oneMinusBeta1;
        f9 = oneMinusBeta2;
    }

    /** amsgrad keeps its running maximum in state2. */
    void adamArgs(boolean decoupled, boolean amsgrad) {
        i8 = decoupled ? 1 : 0;
        i9 = amsgrad ? 1 : 0;
    }

    void adagradArgs(float lrDecay, float eps) {
        f3 = lrDecay;
        f4 = eps;
    }

    /**
     * state0 is square_avg; the grad_avg (centered only) and momentum_buffer (momentum only)
     * offsets replace state1 and state2, -1 where absent.
     */
    void rmspropArgs(int gradAvg, int buffer, boolean centered, boolean hasMomentum, float alpha, float oneMinusAlpha,
                     float eps, float momentum) {
        i3 = gradAvg;
        i4 = buffer;
        i8 = centered ? 1 : 0;
        i9 = hasMomentum ? 1 : 0;
        f3 = alpha;
        f4 = oneMinusAlpha;
        f5 = eps;
        f6 = momentum;
    }

    void adadeltaArgs(float rho, float oneMinusRho, float eps) {
        f3 = rho;
        f4 = oneMinusRho;
        f5 = eps;
    }

    /** After betaArgs, whose ln beta1 slot NAdam does not use. */
    void nadamArgs(float muDecayLn) {
        f6 = muDecayLn;
    }

    /** rhoInf = 2 / (1 - beta2) - 1, formed in double. */
    void radamArgs(float rhoInf) {
        f10 = rhoInf;
    }

    @Override
    public void run() {
        if (op == FILL) {
            fill();
        } else if (op == COPY) {
            copy();
        } else if (op == GATHER) {
            gather();
        } else if (op == BIAS_ACT) {
            biasActivation();
        } else if (op == ACT_BACK) {
            activationBackward();
        } else if (op == BIAS_GRAD) {
            biasGradient();
        } else if (op == GEMM) {
            gemm();
        } else if (op == GEMM_ROWS) {
            gemmRows();
        } else if (op == TRANSPOSE) {
            transpose();
        } else if (op == NORM_PARTIAL) {
            normPartial();
        } else if (op == XENT) {
            softmaxCrossEntropy();
        } else if (op == MSE) {
            meanSquaredError();
        } else if (op == FINISH) {
            finishSum();
        } else if (op == BEGIN_STEP) {
            beginStep();
        } else if (op == SGD) {
            sgd();
        } else if (op == ADAM) {
            adam();
        } else if (op == ADAGRAD) {
            adagrad();
        } else if (op == RMSPROP) {
            rmsprop();
        } else if (op == ADADELTA) {
            adadelta();
        } else if (op == NADAM) {
            nadam();
        } else if (op == RADAM) {
            radam();
        } else if (op == COEFFICIENTS) {
            coefficients();
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private boolean finite(float x) {
        return x - x == 0f;  // false for NaN and for +-Inf
    }

    /** e^x - 1 without cancellation for small |x| (series), for 1 - beta^t = -expm1(t ln beta). */
    private float expm1Series(float x) {
        if (abs(x) < 0.1f) {
            return x * (1f + x * (0.5f + x * (1f / 6f + x * (1f / 24f + x * (1f / 120f + x * (1f / 720f))))));
        }
        return exp(x) - 1f;
    }

    /**
     * tanh through expm1 (no cancellation near 0): tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)).
     * The series of {@link #expm1Series} is repeated here on purpose: Aparapi orders the emitted
     * helpers by call-graph discovery and put expm1Series after this caller, which OpenCL C rejects.
     */
    private float tanhStable(float x) {
        float y = -2f * abs(x);
        float em = abs(y) < 0.1f
                ? y * (1f + y * (0.5f + y * (1f / 6f + y * (1f / 24f + y * (1f / 120f + y * (1f / 720f))))))
                : exp(y) - 1f;
        float t = -em / (2f + em);
        return x < 0f ? -t : t;
    }

    /** sech^2(x) = 1 - tanh^2(x) without cancellation: 4a/(1+a)^2, a = exp(-2|x|). */
    private float sech2(float x) {
        float a = exp(-2f * abs(x));
        return 4f * a / ((1f + a) * (1f + a));
    }

    /** 1 + tanh(u) without cancellation for u &lt; 0: 2a/(1+a), a = exp(2u). */
    private float onePlusTanh(float u) {
        if (u >= 0f) {
            return 1f + tanhStable(u);
        }
        float a = exp(2f * u);
        return 2f * a / (1f + a);
    }

    private float activate(int act, float z) {
        if (act == 1) {
            return z > 0f ? z : 0f;
        } else if (act == 2) {
            return z > 0f ? z : 0.01f * z;
        } else if (act == 3) {
            return 1f / (1f + exp(-z));
        } else if (act == 4) {
            return tanhStable(z);
        } else if (act == 5) {
            return 0.5f * z * onePlusTanh(0.7978845608028654f * (z + 0.044715f * z * z * z));
        }
        return z;
    }

    /** Derivatives in cancellation-free forms (see kernels/cuda/common.cuh for the reasoning). */
    private float derivative(int act, float z) {
        if (act == 1) {
            return z > 0f ? 1f : 0f;
        } else if (act == 2) {
            return z > 0f ? 1f : 0.01f;
        } else if (act == 3) {
            float a = exp(-abs(z));
            return a / ((1f + a) * (1f + a));
        } else if (act == 4) {
            return sech2(z);
        } else if (act == 5) {
            float u = 0.7978845608028654f * (z + 0.044715f * z * z * z);
            float du = 0.7978845608028654f * (1f + 3f * 0.044715f * z * z);
            return 0.5f * onePlusTanh(u) + 0.5f * z * sech2(u) * du;
        }
        return 1f;
    }

    /** Comparisons, not min/max: those may return the non-NaN operand and hide a NaN gradient. */
    private float clampGrad(float g, float clip) {
        if (clip <= 0f) {
            return g;
        }
        return g > clip ? clip : (g < -clip ? -clip : g);
    }

    /** Local-memory tree sum of one value per work-item; every work-item must call it. */
    private float groupSum(float v) {
        int l = getLocalId(0);
        red[l] = v;
        localBarrier();
        for (int s = getLocalSize(0) / 2; s > 0; s >>= 1) {
            if (l < s) {
                red[l] += red[l + s];
            }
            localBarrier();
        }
        return red[0];
    }

    // ---- element-wise ---------------------------------------------------------------------

    /** First element of this work-item's span. */
    private int spanStart() {
        return getGlobalId(0) * span;
    }

    /** One past the last element of this work-item's span, for {@code n} elements in all. */
    private int spanEnd(int n) {
        int end = spanStart() + span;  // not min(): OpenCL C finds min(size_t, int) ambiguous
        return end < n ? end : n;
    }

    private void fill() {
        int at = i0;
        int n = i1;
        float value = f0;
        int end = spanEnd(n);
        for (int i = spanStart(); i < end; i++) {
            mem[at + i] = value;
        }
    }

    /** Regions never overlap: distinct buffers or disjoint ranges. */
    private void copy() {
        int src = i0;
        int dst = i1;
        int n = i2;
        int end = spanEnd(n);
        for (int i = spanStart(); i < end; i++) {
            mem[dst + i] = mem[src + i];
        }
    }

    private void transpose() {
        int src = i0;
        int rows = i1;
        int cols = i2;
        int dst = i3;
        int end = spanEnd(rows * cols);
        for (int i = spanStart(); i < end; i++) {
            int c = i / rows;
            int r = i - c * rows;
            mem[dst + i] = mem[src + r * cols + c];
        }
    }

    /** dst row r = src row index[r]. */
    private void gather() {
        int src = i0;
        int cols = i1;
        int index = i2;
        int rows = i3;
        int dst = i4;
        int end = spanEnd(rows * cols);
        for (int i = spanStart(); i < end; i++) {
            int r = i / cols;
            int c = i - r * cols;
            int from = (int) mem[index + r];
            mem[dst + i] = mem[src + from * cols + c];
        }
    }

    /** z += bias (per column), out = act(z). */
    private void biasActivation() {
        int act = i0;
        int rows = i1;
        int cols = i2;
        int z = i3;
        int bias = i4;
        int out = i5;
        int end = spanEnd(rows * cols);
        for (int i = spanStart(); i < end; i++) {
            float v = mem[z + i] + mem[bias + i % cols];
            mem[z + i] = v;
            mem[out + i] = activate(act, v);
        }
    }

    /** gradZ = gradOut * act'(z). */
    private void activationBackward() {
        int act = i0;
        int n = i1;
        int z = i2;
        int gradOut = i3;
        int gradZ = i4;
        int end = spanEnd(n);
        for (int i = spanStart(); i < end; i++) {
            mem[gradZ + i] = mem[gradOut + i] * derivative(act, mem[z + i]);
        }
    }

    /** One column per work-item, rows in order. */
    private void biasGradient() {
        int rows = i0;
        int cols = i1;
        int gradZ = i2;
        int gradBias = i3;
        int c = getGlobalId(0);
        if (c < cols) {
            float sum = 0f;
            for (int r = 0; r < rows; r++) {
                sum += mem[gradZ + r * cols + c];
            }
            mem[gradBias + c] = sum;
        }
    }

    /**
     * C = alpha op(A) op(B) + beta C with TILE x TILE tiles through local memory, one output per
     * work-item. The range is 2-D: dimension 0 over columns, 1 over rows, padded to the tile.
     */
    private void gemm() {
        boolean transA = i0 == 1;
        boolean transB = i1 == 1;
        int m = i2;
        int n = i3;
        int inner = i4;
        int a = i5;
        int b = i6;
        int c = i7;
        float alpha = f0;
        float beta = f1;
        int lc = getLocalId(0);
        int lr = getLocalId(1);
        int col = getGlobalId(0);
        int row = getGlobalId(1);
        float acc = 0f;
        for (int kb = 0; kb < inner; kb += TILE) {
            int ak = kb + lc;
            float av = 0f;
            if (row < m && ak < inner) {
                av = transA ? mem[a + ak * m + row] : mem[a + row * inner + ak];
            }
            tileA[lr * TILE + lc] = av;
            int bk = kb + lr;
            float bv = 0f;
            if (col < n && bk < inner) {
                bv = transB ? mem[b + col * inner + bk] : mem[b + bk * n + col];
            }
            tileB[lr * TILE + lc] = bv;
            localBarrier();
            for (int kk = 0; kk < TILE; kk++) {
                acc += tileA[lr * TILE + kk] * tileB[kk * TILE + lc];
            }
            localBarrier();
        }
        if (row < m && col < n) {
            int idx = c + row * n + col;
            mem[idx] = alpha * acc + (beta == 0f ? 0f : beta * mem[idx]);
        }
    }

    /**
     * The GEMM for CPU devices, B not transposed (NN, TN): each work-item owns {@code span}
     * consecutive columns of {@link #ROW_BLOCK} rows of C and adds A(row, q) * B[q, j0..j1) for
     * every q and row, axpys over contiguous columns that LLVM vectorizes (the tiled kernel above keeps one
     * output per work-item, which PoCL runs at ~2.4 GFLOP/s). Arguments as in gemm().
     */
    private void gemmRows() {
        int m = i2;
        int n = i3;
        int inner = i4;
        int c = i7;
        int b = i6;
        int a = i5;
        boolean transA = i0 == 1;
        float alpha = f0;
        float beta = f1;
        int perRow = (n + span - 1) / span;
        int id = getGlobalId(0);
        int r0 = (id / perRow) * ROW_BLOCK;
        if (r0 < m) {
            int j0 = (id - (id / perRow) * perRow) * span;
            int j1 = j0 + span < n ? j0 + span : n;
            int rows = m - r0 < ROW_BLOCK ? m - r0 : ROW_BLOCK;
            for (int r = 0; r < rows; r++) {
                int cRow = c + (r0 + r) * n;
                if (beta == 0f) {
                    for (int j = j0; j < j1; j++) {
                        mem[cRow + j] = 0f;  // beta = 0 ignores C, NaN included
                    }
                } else {
                    for (int j = j0; j < j1; j++) {
                        mem[cRow + j] = beta * mem[cRow + j];
                    }
                }
            }
            // A(row, q) is A[row * inner + q], or A[q * m + row] when A is transposed.
            int aStep = transA ? m : 1;
            int aRowStep = transA ? 1 : inner;
            int a0 = transA ? a + r0 : a + r0 * inner;
            if (rows == ROW_BLOCK) {
                // Four rows of C per work-item: each element of B's row segment is loaded once
                // and used four times, where one row per work-item loads it once per row.
                int c0 = c + r0 * n;
                int c1 = c0 + n;
                int c2 = c1 + n;
                int c3 = c2 + n;
                for (int q = 0; q < inner; q++) {
                    int aq = a0 + q * aStep;
                    float v0 = alpha * mem[aq];
                    float v1 = alpha * mem[aq + aRowStep];
                    float v2 = alpha * mem[aq + 2 * aRowStep];
                    float v3 = alpha * mem[aq + 3 * aRowStep];
                    int bRow = b + q * n;
                    for (int j = j0; j < j1; j++) {
                        float bv = mem[bRow + j];
                        mem[c0 + j] += v0 * bv;
                        mem[c1 + j] += v1 * bv;
                        mem[c2 + j] += v2 * bv;
                        mem[c3 + j] += v3 * bv;
                    }
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    int cRow = c + (r0 + r) * n;
                    int aAt = a0 + r * aRowStep;
                    for (int q = 0; q < inner; q++) {
                        float av = alpha * mem[aAt + q * aStep];
                        int bRow = b + q * n;
                        for (int j = j0; j < j1; j++) {
                            mem[cRow + j] += av * mem[bRow + j];
                        }
                    }
                }
            }
        }
    }

    // ---- reductions -----------------------------------------------------------------------

    /** partial[group] = sum of clamp(g)^2 over the group's grid-stride share. */
    private void normPartial() {
        int g = i0;
        int n = i1;
        int partial = i2;
        float clip = f0;
        float sum = 0f;
        for (int i = getGlobalId(0); i < n; i += getGlobalSize(0)) {
            float v = clampGrad(mem[g + i], clip);
            sum += v * v;
        }
        float total = groupSum(sum);
        if (getLocalId(0) == 0) {
            mem[partial + getGroupId(0)] = total;
        }
    }

    /**
     * One row per work-item; the partials hold loss sums at [0, groups) and correct counts at
     * [groups, 2 * groups).
     */
    private void softmaxCrossEntropy() {
        int rows = i0;
        int cols = i1;
        int y = i2;
        int labels = i3;
        int grad = i4;
        float loss = 0f;
        float correct = 0f;
        for (int r = getGlobalId(0); r < rows; r += getGlobalSize(0)) {
            int row = y + r * cols;
            int label = (int) mem[labels + r];
            int argmax = 0;
            float mx = mem[row];
            for (int c = 1; c < cols; c++) {
                if (mem[row + c] > mx) {
                    mx = mem[row + c];
                    argmax = c;
                }
            }
            // In float (the device may lack fp64, which the other backends use here) a confident
            // row's small loss must not be rounded away: the largest logit contributes exactly 1
            // and log1p takes the rest, and the margin mx - label is formed before it is added,
            // since (loss + mx) - label would round loss to the spacing of floats near mx.
            float others = 0f;
            for (int c = 0; c < cols; c++) {
                if (c != argmax) {
                    others += exp(mem[row + c] - mx);
                }
            }
            float sumExp = 1f + others;
            loss += log1p(others) + (mx - mem[row + label]);
            if (argmax == label) {
                correct += 1f;
            }
            if (grad >= 0) {
                for (int c = 0; c < cols; c++) {
                    float p = exp(mem[row + c] - mx) / sumExp;
                    // At a confidently right label, p - 1 would cancel; 1/sumExp - 1 is -others/sumExp.
                    float d = c != label ? p : c == argmax ? -others / sumExp : p - 1f;
                    mem[grad + r * cols + c] = d / rows;
                }
            }
        }
        writePartials(loss, correct);
    }

    /** Grid-stride over the elements; the partials hold loss sums. */
    private void meanSquaredError() {
        int rows = i0;
        int cols = i1;
        int y = i2;
        int targets = i3;
        int grad = i4;
        float loss = 0f;
        int n = rows * cols;
        float scale = 2f / ((float) rows * cols);
        for (int i = getGlobalId(0); i < n; i += getGlobalSize(0)) {
            float diff = mem[y + i] - mem[targets + i];
            loss += diff * diff / cols;
            if (grad >= 0) {
                mem[grad + i] = scale * diff;
            }
        }
        writePartials(loss, 0f);
    }

    /** The loss ops' partial sums, at the lossArgs partial offset. */
    private void writePartials(float loss, float correct) {
        int partial = i5;
        float l = groupSum(loss);
        if (getLocalId(0) == 0) {
            mem[partial + getGroupId(0)] = l;
        }
        localBarrier();
        float c = groupSum(correct);
        if (getLocalId(0) == 0) {
            mem[partial + getNumGroups(0) + getGroupId(0)] = c;
        }
    }

    /**
     * One work-group: control[slot + k] = (accumulate ? control[slot + k] : 0) + sum of series k.
     */
    private void finishSum() {
        int partial = i0;
        int count = i1;
        int series = i2;
        int at0 = i3 + i4;
        boolean accumulate = i5 == 1;
        for (int k = 0; k < series; k++) {
            float sum = 0f;
            for (int i = getLocalId(0); i < count; i += getLocalSize(0)) {
                sum += mem[partial + k * count + i];
            }
            float total = groupSum(sum);
            if (getLocalId(0) == 0) {
                int at = at0 + k;
                mem[at] = (accumulate ? mem[at] : 0f) + total;
            }
            localBarrier();
        }
    }

    // ---- optimizer --------------------------------------------------------------------------

    /** A bad step: the streak (and where it began), the run's total, and the halt latch at maxBadSteps in a row. */
    private void countBadStep(int c, float batchIndex, int maxBadSteps) {
        if (mem[c + Control.BAD_STREAK] == 0f) {
            mem[c + Control.BAD_STREAK_START] = batchIndex;
        }
        mem[c + Control.BAD_STREAK] += 1f;
        mem[c + Control.BAD_TOTAL] += 1f;
        if (mem[c + Control.BAD_STREAK] >= maxBadSteps) {
            mem[c + Control.HALTED] = 1f;
        }
    }

    /** One work-item; dev/descent/internal/StepLogic.java states the same logic. */
    private void beginStep() {
        if (getGlobalId(0) != 0) {
            return;
        }
        int c = i0;
        int maxBadSteps = i1;
        int rows = i2;
        boolean nadam = i3 == 1;
        float maxNorm = f0;
        float batchIndex = f1;
        float beta1 = f2;
        float muDecayLn = f3;
        // Settle the previous applied step first: its update may have flagged OUTPUT_BAD.
        if (mem[c + Control.PENDING] != 0f) {
            mem[c + Control.PENDING] = 0f;
            if (mem[c + Control.OUTPUT_BAD] != 0f) {
                mem[c + Control.OUTPUT_BAD] = 0f;
                mem[c + Control.OVERFLOW_TOTAL] += 1f;
                countBadStep(c, mem[c + Control.LAST_BATCH], maxBadSteps);
            } else {
                mem[c + Control.BAD_STREAK] = 0f;
            }
        }
        if (mem[c + Control.HALTED] != 0f) {
            mem[c + Control.SKIP] = 1f;
            return;
        }
        float loss = mem[c + Control.BATCH_LOSS];
        float normSq = mem[c + Control.NORM_SQ];
        if (!finite(loss) || !finite(normSq)) {
            mem[c + Control.SKIP] = 1f;
            countBadStep(c, batchIndex, maxBadSteps);
            return;
        }
        mem[c + Control.SKIP] = 0f;
        mem[c + Control.PENDING] = 1f;
        mem[c + Control.LAST_BATCH] = batchIndex;
        float t = mem[c + Control.STEP] + 1f;
        mem[c + Control.STEP] = t;
        mem[c + Control.CLIP_SCALE] = maxNorm > 0f ? min(maxNorm / (sqrt(normSq) + 1e-6f), 1f) : 1f;
        mem[c + Control.LOSS_SUM] += loss;
        mem[c + Control.CORRECT_SUM] += mem[c + Control.BATCH_CORRECT];
        mem[c + Control.SAMPLE_SUM] += rows;
        if (nadam) {
            mem[c + Control.MU_PRODUCT] *= beta1 * (1f - 0.5f * exp(t * muDecayLn));
        }
    }

    /**
     * One work-item, before each update: the step's scalars, computed once instead of once per
     * element (exp and divides per element cost PoCL most of its bandwidth). Same arguments as
     * the update op that follows (updateArgs, the rule's setter, coefficientsFor), and the
     * scalars go to coef[0..3]: adam: step size, 1/sqrt(bc2); adagrad: clr; nadam: 1/bc2, grad
     * coef, momentum coef; radam: coef, rectify (1/0); sgd: first step (1/0). Bias corrections
     * 1 - beta^t are -expm1(t ln beta), from the logs betaArgs carries.
     */
    private void coefficients() {
        if (getGlobalId(0) != 0) {
            return;
        }
        int control = i7;
        int coef = i10;
        int rule = i11;
        float lr = f0;
        float t = mem[control + Control.STEP];
        if (rule == ADAM) {
            float lnBeta1 = f6;
            float lnBeta2 = f7;
            mem[coef] = lr / -expm1Series(t * lnBeta1);
            mem[coef + 1] = 1f / sqrt(-expm1Series(t * lnBeta2));
        } else if (rule == ADAGRAD) {
            float lrDecay = f3;
            mem[coef] = lr / (1f + (t - 1f) * lrDecay);
        } else if (rule == NADAM) {
            float beta1 = f3;
            float muDecayLn = f6;
            float lnBeta2 = f7;
            float mu = beta1 * (1f - 0.5f * exp(t * muDecayLn));
            float muNext = beta1 * (1f - 0.5f * exp((t + 1f) * muDecayLn));
            float prod = mem[control + Control.MU_PRODUCT];
            mem[coef] = 1f / -expm1Series(t * lnBeta2);
            mem[coef + 1] = lr * (1f - mu) / (1f - prod);
            mem[coef + 2] = lr * muNext / (1f - prod * muNext);
        } else if (rule == RADAM) {
            float lnBeta1 = f6;
            float lnBeta2 = f7;
            float rhoInf = f10;
            float bc1 = -expm1Series(t * lnBeta1);
            float bc2 = -expm1Series(t * lnBeta2);
            float rhoT = rhoInf - 2f * t * exp(t * lnBeta2) / bc2;
            mem[coef] = lr / bc1;
            mem[coef + 1] = 0f;
            if (rhoT > 5f) {
                mem[coef] = lr * sqrt((rhoT - 4f) * (rhoT - 2f) * rhoInf / ((rhoInf - 4f) * (rhoInf - 2f) * rhoT))
                        * sqrt(bc2) / bc1;
                mem[coef + 1] = 1f;
            }
        } else if (rule == SGD) {
            mem[coef] = t == 1f ? 1f : 0f;
        }
    }

    // The update ops take updateArgs' layout and their rule's setter. Every rule reads the clip
    // scale and its coefficients once, then loops over its span.
    //
    // Each loop computes an element's new parameter and state into locals and commits them only
    // when all are finite (x - x is 0 exactly for finite x): an element that would overflow keeps
    // its previous values, and the work-item flags the step in Control.OUTPUT_BAD after
    // its loop. The commit is a select, which LLVM vectorizes like the rest of the loop.

    private boolean skipped() {
        return mem[i7 + Control.SKIP] != 0f;  // i7: updateArgs' control
    }

    /** Marks the step bad when some element of this work-item's span was held back. */
    private void flagHeldBack(int held) {
        if (held > 0) {
            mem[i7 + Control.OUTPUT_BAD] = 1f;  // i7: updateArgs' control
        }
    }

    /**
     * The clamped, clip-scaled gradient plus L2 weight decay (decay only below decayEnd). Takes
     * every offset as an argument: loops read no kernel fields, only locals.
     */
    private float decayedGrad(int p, int g, int decayEnd, int i, float clip, float scale, float wd) {
        float x = clampGrad(mem[g + i], clip) * scale;
        return x + (i < decayEnd ? wd : 0f) * mem[p + i];
    }

    /** sgdArgs; the momentum buffer is state0. */
    private void sgd() {
        if (skipped()) {
            return;
        }
        int p = i0;
        boolean nesterov = i8 == 1;
        boolean hasBuffer = i9 == 1;
        int n = i5;
        int control = i7;
        int coef = i10;
        int g = i1;
        int decayEnd = i6;
        int buf = i2;
        float lr = f0;
        float clip = f1;
        float wd = f2;
        float momentum = f3;
        // The first step sets buf = x: written as 0 * buf + 1 * x (buf still holds its initial
        // zeros, as skipped steps write nothing), since a per-element select on this flag kept
        // PoCL's loop scalar (6 instead of 24 GB/s).
        boolean first = mem[coef] == 1f;
        float bufCoef = first ? 0f : momentum;
        float gradCoef = first ? 1f : f4;
        // Nesterov steps along x + momentum * b, plain momentum along b.
        float gradShare = nesterov ? 1f : 0f;
        float bufShare = nesterov ? momentum : 1f;
        float scale = mem[control + Control.CLIP_SCALE];
        int end = spanEnd(n);
        int held = 0;
        if (hasBuffer) {
            for (int i = spanStart(); i < end; i++) {
                float w = mem[p + i];
                float b0 = mem[buf + i];
                float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
                float b = bufCoef * b0 + gradCoef * x;
                float nw = w - lr * (gradShare * x + bufShare * b);
                boolean ok = (nw - nw) + (b - b) == 0f;
                mem[buf + i] = ok ? b : b0;
                mem[p + i] = ok ? nw : w;
                held += ok ? 0 : 1;
            }
        } else {
            for (int i = spanStart(); i < end; i++) {
                float w = mem[p + i];
                float nw = w - lr * decayedGrad(p, g, decayEnd, i, clip, scale, wd);
                boolean ok = nw - nw == 0f;
                mem[p + i] = ok ? nw : w;
                held += ok ? 0 : 1;
            }
        }
        flagHeldBack(held);
    }

    /** betaArgs and adamArgs; state0 exp_avg, state1 exp_avg_sq, state2 max_exp_avg_sq (AMSGrad). */
    private void adam() {
        if (skipped()) {
            return;
        }
        int p = i0;
        boolean decoupled = i8 == 1;
        boolean amsgrad = i9 == 1;
        int n = i5;
        int control = i7;
        int coef = i10;
        int g = i1;
        int decayEnd = i6;
        int m1 = i2;
        int m2 = i3;
        int m2max = i4;
        float clip = f1;
        float beta1 = f3;
        float beta2 = f4;
        float eps = f5;
        float c1 = f8;
        float c2 = f9;
        // Decoupled decay shrinks p and the coupled one adds to the gradient: one of the two
        // factors is zero, so both are plain arithmetic in the loop.
        float shrink = decoupled ? f0 * f2 : 0f;
        float coupled = decoupled ? 0f : f2;
        float scale = mem[control + Control.CLIP_SCALE];
        float stepSize = mem[coef];
        float invSqrtBc2 = mem[coef + 1];
        int end = spanEnd(n);
        int held = 0;
        if (amsgrad) {
            for (int i = spanStart(); i < end; i++) {
                float w = mem[p + i];
                float m0 = mem[m1 + i];
                float v0 = mem[m2 + i];
                float mx0 = mem[m2max + i];
                float x = clampGrad(mem[g + i], clip) * scale + (i < decayEnd ? coupled : 0f) * w;
                float m = beta1 * m0 + c1 * x;
                float v = beta2 * v0 + c2 * x * x;
                float mx = max(mx0, v);
                float nw = w - (i < decayEnd ? shrink : 0f) * w - stepSize * m / (sqrt(mx) * invSqrtBc2 + eps);
                boolean ok = (nw - nw) + (m - m) + (v - v) + (mx - mx) == 0f;
                mem[p + i] = ok ? nw : w;
                mem[m1 + i] = ok ? m : m0;
                mem[m2 + i] = ok ? v : v0;
                mem[m2max + i] = ok ? mx : mx0;
                held += ok ? 0 : 1;
            }
        } else {
            for (int i = spanStart(); i < end; i++) {
                float w = mem[p + i];
                float m0 = mem[m1 + i];
                float v0 = mem[m2 + i];
                float x = clampGrad(mem[g + i], clip) * scale + (i < decayEnd ? coupled : 0f) * w;
                float m = beta1 * m0 + c1 * x;
                float v = beta2 * v0 + c2 * x * x;
                float nw = w - (i < decayEnd ? shrink : 0f) * w - stepSize * m / (sqrt(v) * invSqrtBc2 + eps);
                boolean ok = (nw - nw) + (m - m) + (v - v) == 0f;
                mem[p + i] = ok ? nw : w;
                mem[m1 + i] = ok ? m : m0;
                mem[m2 + i] = ok ? v : v0;
                held += ok ? 0 : 1;
            }
        }
        flagHeldBack(held);
    }

    /** adagradArgs; state0 sum; the coefficient is the decayed learning rate. */
    private void adagrad() {
        if (skipped()) {
            return;
        }
        int p = i0;
        int n = i5;
        int control = i7;
        int coef = i10;
        int g = i1;
        int decayEnd = i6;
        int sum = i2;
        float clip = f1;
        float wd = f2;
        float eps = f4;
        float scale = mem[control + Control.CLIP_SCALE];
        float clr = mem[coef];
        int end = spanEnd(n);
        int held = 0;
        for (int i = spanStart(); i < end; i++) {
            float w = mem[p + i];
            float s0 = mem[sum + i];
            float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
            float s = s0 + x * x;
            float nw = w - clr * x / (sqrt(s) + eps);
            boolean ok = (nw - nw) + (s - s) == 0f;
            mem[p + i] = ok ? nw : w;
            mem[sum + i] = ok ? s : s0;
            held += ok ? 0 : 1;
        }
        flagHeldBack(held);
    }

    /** rmspropArgs: state0 square_avg, then grad_avg and momentum_buffer where configured. */
    private void rmsprop() {
        if (skipped()) {
            return;
        }
        int p = i0;
        boolean centered = i8 == 1;
        boolean hasMomentum = i9 == 1;
        int n = i5;
        int control = i7;
        int g = i1;
        int decayEnd = i6;
        int sq = i2;
        int avg = i3;
        int buf = i4;
        float lr = f0;
        float clip = f1;
        float wd = f2;
        float alpha = f3;
        float keep = f4;
        float eps = f5;
        float momentum = f6;
        float scale = mem[control + Control.CLIP_SCALE];
        int start = spanStart();
        int end = spanEnd(n);
        int held = 0;
        if (!centered && !hasMomentum) {
            for (int i = start; i < end; i++) {
                float w = mem[p + i];
                float v0 = mem[sq + i];
                float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
                float v = alpha * v0 + keep * x * x;
                float nw = w - lr * (x / (sqrt(v) + eps));
                boolean ok = (nw - nw) + (v - v) == 0f;
                mem[p + i] = ok ? nw : w;
                mem[sq + i] = ok ? v : v0;
                held += ok ? 0 : 1;
            }
        } else if (centered && !hasMomentum) {
            for (int i = start; i < end; i++) {
                float w = mem[p + i];
                float v0 = mem[sq + i];
                float a0 = mem[avg + i];
                float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
                float v = alpha * v0 + keep * x * x;
                float mean = alpha * a0 + keep * x;
                float nw = w - lr * (x / (sqrt(v - mean * mean) + eps));
                boolean ok = (nw - nw) + (v - v) + (mean - mean) == 0f;
                mem[p + i] = ok ? nw : w;
                mem[sq + i] = ok ? v : v0;
                mem[avg + i] = ok ? mean : a0;
                held += ok ? 0 : 1;
            }
        } else if (!centered) {
            for (int i = start; i < end; i++) {
                float w = mem[p + i];
                float v0 = mem[sq + i];
                float b0 = mem[buf + i];
                float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
                float v = alpha * v0 + keep * x * x;
                float b = momentum * b0 + x / (sqrt(v) + eps);
                float nw = w - lr * b;
                boolean ok = (nw - nw) + (v - v) + (b - b) == 0f;
                mem[p + i] = ok ? nw : w;
                mem[sq + i] = ok ? v : v0;
                mem[buf + i] = ok ? b : b0;
                held += ok ? 0 : 1;
            }
        } else {
            for (int i = start; i < end; i++) {
                float w = mem[p + i];
                float v0 = mem[sq + i];
                float a0 = mem[avg + i];
                float b0 = mem[buf + i];
                float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
                float v = alpha * v0 + keep * x * x;
                float mean = alpha * a0 + keep * x;
                float b = momentum * b0 + x / (sqrt(v - mean * mean) + eps);
                float nw = w - lr * b;
                boolean ok = (nw - nw) + (v - v) + (mean - mean) + (b - b) == 0f;
                mem[p + i] = ok ? nw : w;
                mem[sq + i] = ok ? v : v0;
                mem[avg + i] = ok ? mean : a0;
                mem[buf + i] = ok ? b : b0;
                held += ok ? 0 : 1;
            }
        }
        flagHeldBack(held);
    }

    /** adadeltaArgs; state0 square_avg, state1 acc_delta. */
    private void adadelta() {
        if (skipped()) {
            return;
        }
        int p = i0;
        int n = i5;
        int control = i7;
        int g = i1;
        int decayEnd = i6;
        int sq = i2;
        int acc = i3;
        float lr = f0;
        float clip = f1;
        float wd = f2;
        float rho = f3;
        float keep = f4;
        float eps = f5;
        float scale = mem[control + Control.CLIP_SCALE];
        int end = spanEnd(n);
        int held = 0;
        for (int i = spanStart(); i < end; i++) {
            float w = mem[p + i];
            float v0 = mem[sq + i];
            float a = mem[acc + i];
            float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
            float v = rho * v0 + keep * x * x;
            float dx = sqrt(a + eps) / sqrt(v + eps) * x;
            float na = rho * a + keep * dx * dx;
            float nw = w - lr * dx;
            boolean ok = (nw - nw) + (v - v) + (na - na) == 0f;
            mem[p + i] = ok ? nw : w;
            mem[sq + i] = ok ? v : v0;
            mem[acc + i] = ok ? na : a;
            held += ok ? 0 : 1;
        }
        flagHeldBack(held);
    }

    /** betaArgs and nadamArgs; coefficients: 1/bc2, gradient coefficient, momentum coefficient. */
    private void nadam() {
        if (skipped()) {
            return;
        }
        int p = i0;
        int n = i5;
        int control = i7;
        int coef = i10;
        int g = i1;
        int decayEnd = i6;
        int m1 = i2;
        int m2 = i3;
        float clip = f1;
        float wd = f2;
        float beta1 = f3;
        float beta2 = f4;
        float eps = f5;
        float c1 = f8;
        float c2 = f9;
        float scale = mem[control + Control.CLIP_SCALE];
        float invBc2 = mem[coef];
        float gradCoef = mem[coef + 1];
        float momCoef = mem[coef + 2];
        int end = spanEnd(n);
        int held = 0;
        for (int i = spanStart(); i < end; i++) {
            float w = mem[p + i];
            float m0 = mem[m1 + i];
            float v0 = mem[m2 + i];
            float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
            float m = beta1 * m0 + c1 * x;
            float v = beta2 * v0 + c2 * x * x;
            float nw = w - (gradCoef * x + momCoef * m) / (sqrt(v * invBc2) + eps);
            boolean ok = (nw - nw) + (m - m) + (v - v) == 0f;
            mem[p + i] = ok ? nw : w;
            mem[m1 + i] = ok ? m : m0;
            mem[m2 + i] = ok ? v : v0;
            held += ok ? 0 : 1;
        }
        flagHeldBack(held);
    }

    /** betaArgs and radamArgs; coefficients: step coefficient, rectify (1/0). */
    private void radam() {
        if (skipped()) {
            return;
        }
        int p = i0;
        int n = i5;
        int control = i7;
        int g = i1;
        int decayEnd = i6;
        int m1 = i2;
        int m2 = i3;
        float clip = f1;
        float wd = f2;
        float beta1 = f3;
        float beta2 = f4;
        float eps = f5;
        float c1 = f8;
        float c2 = f9;
        float scale = mem[control + Control.CLIP_SCALE];
        float coef = mem[i10];
        boolean rectify = mem[i10 + 1] == 1f;
        int end = spanEnd(n);
        int held = 0;
        for (int i = spanStart(); i < end; i++) {
            float w = mem[p + i];
            float m0 = mem[m1 + i];
            float v0 = mem[m2 + i];
            float x = decayedGrad(p, g, decayEnd, i, clip, scale, wd);
            float m = beta1 * m0 + c1 * x;
            float v = beta2 * v0 + c2 * x * x;
            float nw = w - (rectify ? coef * m / (sqrt(v) + eps) : coef * m);
            boolean ok = (nw - nw) + (m - m) + (v - v) == 0f;
            mem[p + i] = ok ? nw : w;
            mem[m1 + i] = ok ? m : m0;
            mem[m2 + i] = ok ? v : v0;
            held += ok ? 0 : 1;
        }
        flagHeldBack(held);
    }
}
