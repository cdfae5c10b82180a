package dev.descent.opencl;

import com.aparapi.Kernel;

/**
 * Every op of the OpenCL backend in one Aparapi kernel. Aparapi binds buffers per Kernel
 * instance, so one instance owns one float heap ({@link #mem}) in which every buffer of the
 * backend is an offset, and each launch selects its op through {@link #op} and passes offsets
 * and sizes in the i0..i9 and f0..f10 fields. Aparapi translates this class's bytecode to OpenCL C, which
 * limits what it may contain: primitive fields and arrays, private methods, no objects, no
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
 * <p>Formulas are those of dev/descent/optim/ReferenceRules.java and the CUDA kernels, in float.
 * Reductions use a fixed number of work-groups and a local-memory tree, so they are
 * deterministic. Control-block slot numbers are Control.java's (checked by a test).
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

    float[] mem = new float[4];
    @Local float[] tileA = new float[TILE * TILE];
    @Local float[] tileB = new float[TILE * TILE];
    @Local float[] red = new float[GROUP];
    @Local float[] red2 = new float[GROUP];

    int op;
    /** Consecutive elements per work-item in element-wise and update ops (see above). */
    int span = 1;
    int i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11;
    float f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10;

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

    /** i0 = offset, i1 = n, f0 = value. */
    private void fill() {
        int at = i0;
        float value = f0;
        int end = spanEnd(i1);
        for (int i = spanStart(); i < end; i++) {
            mem[at + i] = value;
        }
    }

    /** i0 = src, i1 = dst, i2 = n (regions never overlap: distinct buffers or disjoint ranges). */
    private void copy() {
        int src = i0;
        int dst = i1;
        int end = spanEnd(i2);
        for (int i = spanStart(); i < end; i++) {
            mem[dst + i] = mem[src + i];
        }
    }

    /** i0 = src (rows x cols), i1 = rows, i2 = cols, i3 = dst (cols x rows): dst = src^T. */
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

    /** i0 = src, i1 = cols, i2 = index, i3 = rows, i4 = dst. */
    private void gather() {
        int src = i0;
        int cols = i1;
        int index = i2;
        int dst = i4;
        int end = spanEnd(i3 * cols);
        for (int i = spanStart(); i < end; i++) {
            int r = i / cols;
            int c = i - r * cols;
            int from = (int) mem[index + r];
            mem[dst + i] = mem[src + from * cols + c];
        }
    }

    /** i0 = act, i1 = rows, i2 = cols, i3 = z, i4 = bias, i5 = out. */
    private void biasActivation() {
        int act = i0;
        int cols = i2;
        int z = i3;
        int bias = i4;
        int out = i5;
        int end = spanEnd(i1 * cols);
        for (int i = spanStart(); i < end; i++) {
            float v = mem[z + i] + mem[bias + i % cols];
            mem[z + i] = v;
            mem[out + i] = activate(act, v);
        }
    }

    /** i0 = act, i1 = n, i2 = z, i3 = gradOut, i4 = gradZ. */
    private void activationBackward() {
        int act = i0;
        int z = i2;
        int gradOut = i3;
        int gradZ = i4;
        int end = spanEnd(i1);
        for (int i = spanStart(); i < end; i++) {
            mem[gradZ + i] = mem[gradOut + i] * derivative(act, mem[z + i]);
        }
    }

    /** i0 = rows, i1 = cols, i2 = gradZ, i3 = gradBias: one column per work-item, rows in order. */
    private void biasGradient() {
        int c = getGlobalId(0);
        if (c < i1) {
            float sum = 0f;
            for (int r = 0; r < i0; r++) {
                sum += mem[i2 + r * i1 + c];
            }
            mem[i3 + c] = sum;
        }
    }

    /**
     * C = f0 op(A) op(B) + f1 C with TILE x TILE tiles through local memory, one output per
     * work-item. i0 = transA, i1 = transB, i2 = m, i3 = n, i4 = k, i5 = A, i6 = B, i7 = C.
     * The range is 2-D: dimension 0 over columns, 1 over rows, padded to the tile.
     */
    private void gemm() {
        int lc = getLocalId(0);
        int lr = getLocalId(1);
        int col = getGlobalId(0);
        int row = getGlobalId(1);
        float acc = 0f;
        for (int kb = 0; kb < i4; kb += TILE) {
            int ak = kb + lc;
            float av = 0f;
            if (row < i2 && ak < i4) {
                av = i0 == 1 ? mem[i5 + ak * i2 + row] : mem[i5 + row * i4 + ak];
            }
            tileA[lr * TILE + lc] = av;
            int bk = kb + lr;
            float bv = 0f;
            if (col < i3 && bk < i4) {
                bv = i1 == 1 ? mem[i6 + col * i4 + bk] : mem[i6 + bk * i3 + col];
            }
            tileB[lr * TILE + lc] = bv;
            localBarrier();
            for (int kk = 0; kk < TILE; kk++) {
                acc += tileA[lr * TILE + kk] * tileB[kk * TILE + lc];
            }
            localBarrier();
        }
        if (row < i2 && col < i3) {
            int idx = i7 + row * i3 + col;
            mem[idx] = f0 * acc + (f1 == 0f ? 0f : f1 * mem[idx]);
        }
    }

    /**
     * The GEMM for CPU devices, B not transposed (NN, TN): each work-item owns {@code span}
     * consecutive columns of one row of C and adds A(row, q) * B[q, j0..j1) for every q, an
     * axpy over contiguous columns that LLVM vectorizes (the tiled kernel above keeps one
     * output per work-item, which PoCL runs at ~2.4 GFLOP/s). Arguments as in gemm().
     */
    private void gemmRows() {
        int m = i2;
        int n = i3;
        int inner = i4;
        int c = i7;
        int b = i6;
        float alpha = f0;
        float beta = f1;
        int perRow = (n + span - 1) / span;
        int id = getGlobalId(0);
        int row = id / perRow;
        if (row < m) {
            int j0 = (id - row * perRow) * span;
            int j1 = j0 + span < n ? j0 + span : n;
            int cRow = c + row * n;
            if (beta == 0f) {
                for (int j = j0; j < j1; j++) {
                    mem[cRow + j] = 0f;  // beta = 0 ignores C, NaN included
                }
            } else {
                for (int j = j0; j < j1; j++) {
                    mem[cRow + j] = beta * mem[cRow + j];
                }
            }
            // A(row, q) is A[row * inner + q], or A[q * m + row] when A is transposed.
            int aAt = i0 == 1 ? i5 + row : i5 + row * inner;
            int aStep = i0 == 1 ? m : 1;
            for (int q = 0; q < inner; q++) {
                float av = alpha * mem[aAt + q * aStep];
                int bRow = b + q * n;
                for (int j = j0; j < j1; j++) {
                    mem[cRow + j] += av * mem[bRow + j];
                }
            }
        }
    }

    // ---- reductions -----------------------------------------------------------------------

    /** i0 = g, i1 = n, i2 = partial, f0 = clip: partial[group] = sum of clamp(g)^2. */
    private void normPartial() {
        float sum = 0f;
        for (int i = getGlobalId(0); i < i1; i += getGlobalSize(0)) {
            float v = clampGrad(mem[i0 + i], f0);
            sum += v * v;
        }
        float total = groupSum(sum);
        if (getLocalId(0) == 0) {
            mem[i2 + getGroupId(0)] = total;
        }
    }

    /**
     * One row per work-item. i0 = rows, i1 = cols, i2 = y, i3 = labels, i4 = grad (-1: none),
     * i5 = partial (loss sums at [0, groups), correct counts at [groups, 2*groups)).
     */
    private void softmaxCrossEntropy() {
        float loss = 0f;
        float correct = 0f;
        for (int r = getGlobalId(0); r < i0; r += getGlobalSize(0)) {
            int row = i2 + r * i1;
            int label = (int) mem[i3 + r];
            int argmax = 0;
            float mx = mem[row];
            for (int c = 1; c < i1; c++) {
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
            for (int c = 0; c < i1; c++) {
                if (c != argmax) {
                    others += exp(mem[row + c] - mx);
                }
            }
            float sumExp = 1f + others;
            loss += log1p(others) + (mx - mem[row + label]);
            if (argmax == label) {
                correct += 1f;
            }
            if (i4 >= 0) {
                for (int c = 0; c < i1; c++) {
                    float p = exp(mem[row + c] - mx) / sumExp;
                    // At a confidently right label, p - 1 would cancel; 1/sumExp - 1 is -others/sumExp.
                    float d = c != label ? p : c == argmax ? -others / sumExp : p - 1f;
                    mem[i4 + r * i1 + c] = d / i0;
                }
            }
        }
        writePartials(loss, correct);
    }

    /** i0 = rows, i1 = cols, i2 = y, i3 = targets, i4 = grad (-1: none), i5 = partial. */
    private void meanSquaredError() {
        float loss = 0f;
        int n = i0 * i1;
        float scale = 2f / ((float) i0 * i1);
        for (int i = getGlobalId(0); i < n; i += getGlobalSize(0)) {
            float diff = mem[i2 + i] - mem[i3 + i];
            loss += diff * diff / i1;
            if (i4 >= 0) {
                mem[i4 + i] = scale * diff;
            }
        }
        writePartials(loss, 0f);
    }

    private void writePartials(float loss, float correct) {
        float l = groupSum(loss);
        if (getLocalId(0) == 0) {
            mem[i5 + getGroupId(0)] = l;
        }
        localBarrier();
        float c = groupSum(correct);
        if (getLocalId(0) == 0) {
            mem[i5 + getNumGroups(0) + getGroupId(0)] = c;
        }
    }

    /**
     * One work-group: control[slot + k] = (accumulate ? control[slot + k] : 0) + sum of series k.
     * i0 = partial, i1 = count per series, i2 = series, i3 = control, i4 = slot, i5 = accumulate.
     */
    private void finishSum() {
        for (int k = 0; k < i2; k++) {
            float sum = 0f;
            for (int i = getLocalId(0); i < i1; i += getLocalSize(0)) {
                sum += mem[i0 + k * i1 + i];
            }
            float total = groupSum(sum);
            if (getLocalId(0) == 0) {
                int at = i3 + i4 + k;
                mem[at] = (i5 == 1 ? mem[at] : 0f) + total;
            }
            localBarrier();
        }
    }

    // ---- optimizer --------------------------------------------------------------------------

    /**
     * One work-item; dev/descent/StepLogic.java states the same logic. i0 = control, i1 =
     * maxBadSteps, i2 = rows, i3 = nadam (1/0), f0 = maxNorm, f1 = batch index, f2 = beta1,
     * f3 = momentum decay * ln(0.96).
     */
    /** A bad step: the streak (and where it began), the run's total, and the halt latch at i1 in a row. */
    private void countBadStep(int c, float batchIndex) {
        if (mem[c + 9] == 0f) {
            mem[c + 11] = batchIndex;
        }
        mem[c + 9] += 1f;
        mem[c + 10] += 1f;
        if (mem[c + 9] >= i1) {
            mem[c + 15] = 1f;
        }
    }

    private void beginStep() {
        if (getGlobalId(0) != 0) {
            return;
        }
        int c = i0;
        // Settle the previous applied step first: its update may have flagged OUTPUT_BAD (17).
        if (mem[c + 16] != 0f) {
            mem[c + 16] = 0f;
            if (mem[c + 17] != 0f) {
                mem[c + 17] = 0f;
                mem[c + 19] += 1f;
                countBadStep(c, mem[c + 18]);
            } else {
                mem[c + 9] = 0f;
            }
        }
        if (mem[c + 15] != 0f) {
            mem[c + 1] = 1f;
            return;
        }
        float loss = mem[c + 4];
        float normSq = mem[c + 3];
        if (!finite(loss) || !finite(normSq)) {
            mem[c + 1] = 1f;
            countBadStep(c, f1);
            return;
        }
        mem[c + 1] = 0f;
        mem[c + 16] = 1f;
        mem[c + 18] = f1;
        float t = mem[c] + 1f;
        mem[c] = t;
        mem[c + 2] = f0 > 0f ? min(f0 / (sqrt(normSq) + 1e-6f), 1f) : 1f;
        mem[c + 6] += loss;
        mem[c + 7] += mem[c + 5];
        mem[c + 8] += i2;
        if (i3 == 1) {
            mem[c + 12] *= f2 * (1f - 0.5f * exp(t * f3));
        }
    }

    /**
     * One work-item, before each update: the step's scalars, computed once instead of once per
     * element (exp and divides per element cost PoCL most of its bandwidth). Same arguments as
     * the update op that follows; i11 = that op, i10 = where the scalars go (c[0..3]).
     * adam: step size, 1/sqrt(bc2); adagrad: clr; nadam: 1/bc2, grad coef, momentum coef;
     * radam: coef, rectify (1/0); sgd: first step (1/0).
     */
    private void coefficients() {
        if (getGlobalId(0) != 0) {
            return;
        }
        float t = mem[i7];
        int c = i10;
        if (i11 == ADAM) {
            mem[c] = f0 / -expm1Series(t * f6);
            mem[c + 1] = 1f / sqrt(-expm1Series(t * f7));
        } else if (i11 == ADAGRAD) {
            mem[c] = f0 / (1f + (t - 1f) * f3);
        } else if (i11 == NADAM) {
            float mu = f3 * (1f - 0.5f * exp(t * f6));
            float muNext = f3 * (1f - 0.5f * exp((t + 1f) * f6));
            float prod = mem[i7 + 12];
            mem[c] = 1f / -expm1Series(t * f7);
            mem[c + 1] = f0 * (1f - mu) / (1f - prod);
            mem[c + 2] = f0 * muNext / (1f - prod * muNext);
        } else if (i11 == RADAM) {
            float bc1 = -expm1Series(t * f6);
            float bc2 = -expm1Series(t * f7);
            float rhoT = f10 - 2f * t * exp(t * f7) / bc2;
            mem[c] = f0 / bc1;
            mem[c + 1] = 0f;
            if (rhoT > 5f) {
                mem[c] = f0 * sqrt((rhoT - 4f) * (rhoT - 2f) * f10 / ((f10 - 4f) * (f10 - 2f) * rhoT)) * sqrt(bc2) / bc1;
                mem[c + 1] = 1f;
            }
        } else if (i11 == SGD) {
            mem[c] = t == 1f ? 1f : 0f;
        }
    }

    // Shared argument layout of the update ops: i0 = p, i1 = g, i2..i4 = state (-1: absent),
    // i5 = n, i6 = decayEnd, i7 = control, i10 = the step's coefficients, f0 = lr, f1 = clip,
    // f2 = weight decay; the rest per rule. Every rule reads the clip scale and its coefficients
    // once, then loops over its span.
    //
    // Each loop computes an element's new parameter and state into locals and commits them only
    // when all are finite (x - x is 0 exactly for finite x): an element that would overflow keeps
    // its previous values, and the work-item flags the step in control[17] (OUTPUT_BAD) after
    // its loop. The commit is a select, which LLVM vectorizes like the rest of the loop.

    private boolean skipped() {
        return mem[i7 + 1] != 0f;
    }

    /** Marks the step bad when some element of this work-item's span was held back. */
    private void flagHeldBack(int held) {
        if (held > 0) {
            mem[i7 + 17] = 1f;
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

    /** f3 = momentum, f4 = 1 - dampening, i8 = nesterov, i9 = has a momentum buffer (i2). */
    private void sgd() {
        if (skipped()) {
            return;
        }
        int p = i0;
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
        boolean first = mem[i10] == 1f;
        float bufCoef = first ? 0f : momentum;
        float gradCoef = first ? 1f : f4;
        // Nesterov steps along x + momentum * b, plain momentum along b.
        float gradShare = i8 == 1 ? 1f : 0f;
        float bufShare = i8 == 1 ? momentum : 1f;
        float scale = mem[i7 + 2];
        int end = spanEnd(i5);
        int held = 0;
        if (i9 == 1) {
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

    /** f3 = beta1, f4 = beta2, f5 = eps, f6 = ln beta1, f7 = ln beta2, f8 = 1 - beta1, f9 = 1 - beta2
     * (complements formed in double on the host), i8 = decoupled, i9 = amsgrad (max in i4). */
    private void adam() {
        if (skipped()) {
            return;
        }
        int p = i0;
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
        boolean decoupled = i8 == 1;
        float shrink = decoupled ? f0 * f2 : 0f;
        float coupled = decoupled ? 0f : f2;
        float scale = mem[i7 + 2];
        float stepSize = mem[i10];
        float invSqrtBc2 = mem[i10 + 1];
        int end = spanEnd(i5);
        int held = 0;
        if (i9 == 1) {
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

    /** f4 = eps; the coefficient is the decayed learning rate. */
    private void adagrad() {
        if (skipped()) {
            return;
        }
        int p = i0;
        int g = i1;
        int decayEnd = i6;
        int sum = i2;
        float clip = f1;
        float wd = f2;
        float eps = f4;
        float scale = mem[i7 + 2];
        float clr = mem[i10];
        int end = spanEnd(i5);
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

    /** f3 = alpha, f4 = 1 - alpha, f5 = eps, f6 = momentum; state i2 square_avg, i3 grad_avg
     * (i8 = centered), i4 buffer (i9 = momentum). */
    private void rmsprop() {
        if (skipped()) {
            return;
        }
        int p = i0;
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
        float scale = mem[i7 + 2];
        int start = spanStart();
        int end = spanEnd(i5);
        int held = 0;
        if (i8 == 0 && i9 == 0) {
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
        } else if (i8 == 1 && i9 == 0) {
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
        } else if (i8 == 0) {
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

    /** f3 = rho, f4 = 1 - rho, f5 = eps. */
    private void adadelta() {
        if (skipped()) {
            return;
        }
        int p = i0;
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
        float scale = mem[i7 + 2];
        int end = spanEnd(i5);
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

    /** f3 = beta1, f4 = beta2, f5 = eps, f8, f9 = 1 - beta1, 1 - beta2; coefficients: 1/bc2,
     * gradient coefficient, momentum coefficient. */
    private void nadam() {
        if (skipped()) {
            return;
        }
        int p = i0;
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
        float scale = mem[i7 + 2];
        float invBc2 = mem[i10];
        float gradCoef = mem[i10 + 1];
        float momCoef = mem[i10 + 2];
        int end = spanEnd(i5);
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

    /** f3 = beta1, f4 = beta2, f5 = eps, f8, f9 = 1 - beta1, 1 - beta2; coefficients: step
     * coefficient, rectify (1/0). */
    private void radam() {
        if (skipped()) {
            return;
        }
        int p = i0;
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
        float scale = mem[i7 + 2];
        float coef = mem[i10];
        boolean rectify = mem[i10 + 1] == 1f;
        int end = spanEnd(i5);
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
