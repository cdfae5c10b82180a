// Optimizer updates: one fused launch over the whole arena per step, plus begin_step.
//
// The step count t, the skip flag, the clip scale and NAdam's mu product are read from the
// control block on the device, so a training step never waits on the host. Per-step scalars
// (bias corrections, rectification) are formed in double from t once per block (ONCE_PER_BLOCK),
// and complements such as 1 - beta2 are formed in double and rounded once, as PyTorch does. The
// element formulas are dev/descent/internal/ReferenceRules.java's, in float32.
//
// Version 1 (this one): four elements per thread iteration through float4 loads and stores
// (the arena is 16-byte aligned and padded to a multiple of 4), scalar tail for the rest.
#include "common.cuh"

// Runs f(i, p, g, s0, s1, s2) on a copy of one element's values and commits the results only
// when all are finite; otherwise the element keeps its previous values and the step is flagged
// bad in control[SLOT_OUTPUT_BAD]. Any number of threads may flag it, so the store is atomic:
// plain stores of the same value would work on today's GPUs but are a data race all the same,
// and the race build of the emulator reports them as one.
// The check costs a few compares per element in registers: no second pass, no host read.
template <class F>
__device__ inline bool update_finite(F& f, long long i, float& p, float g, float& a, float& b, float& c) {
    float np = p, na = a, nb = b, nc = c;
    f(i, np, g, na, nb, nc);
    if (!(isfinite(np) && isfinite(na) && isfinite(nb) && isfinite(nc))) return false;
    p = np;
    a = na;
    b = nb;
    c = nc;
    return true;
}

// Runs f on every element through update_finite; state pointers may be null (their values are
// then scratch). The float4 path covers floor(n/4)*4 elements, the tail loop the remainder.
template <class F>
__device__ inline void for_each_element(long long n, float* p, const float* g, float* s0, float* s1, float* s2,
                                        float* control, F f) {
    long long stride = (long long)gridDim.x * blockDim.x;
    long long start = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long n4 = n / 4;
    float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    bool ok = true;
    for (long long q = start; q < n4; q += stride) {
        float4 P = reinterpret_cast<float4*>(p)[q];
        float4 G = reinterpret_cast<const float4*>(g)[q];
        float4 A = s0 ? reinterpret_cast<float4*>(s0)[q] : zero;
        float4 B = s1 ? reinterpret_cast<float4*>(s1)[q] : zero;
        float4 C = s2 ? reinterpret_cast<float4*>(s2)[q] : zero;
        long long i = q * 4;
        ok &= update_finite(f, i, P.x, G.x, A.x, B.x, C.x);
        ok &= update_finite(f, i + 1, P.y, G.y, A.y, B.y, C.y);
        ok &= update_finite(f, i + 2, P.z, G.z, A.z, B.z, C.z);
        ok &= update_finite(f, i + 3, P.w, G.w, A.w, B.w, C.w);
        reinterpret_cast<float4*>(p)[q] = P;
        if (s0) reinterpret_cast<float4*>(s0)[q] = A;
        if (s1) reinterpret_cast<float4*>(s1)[q] = B;
        if (s2) reinterpret_cast<float4*>(s2)[q] = C;
    }
    for (long long i = n4 * 4 + start; i < n; i += stride) {
        float pi = p[i], a = s0 ? s0[i] : 0.0f, b = s1 ? s1[i] : 0.0f, c = s2 ? s2[i] : 0.0f;
        ok &= update_finite(f, i, pi, g[i], a, b, c);
        p[i] = pi;
        if (s0) s0[i] = a;
        if (s1) s1[i] = b;
        if (s2) s2[i] = c;
    }
    if (!ok) atomicExch(control + SLOT_OUTPUT_BAD, 1.0f);
}

// Counts one bad step: the streak, the run's total, and the halt latch.
__device__ inline void count_bad(float* c, float batch_index, int max_bad_steps) {
    if (c[SLOT_BAD_STREAK] == 0.0f) c[SLOT_BAD_STREAK_START] = batch_index;
    c[SLOT_BAD_STREAK] += 1.0f;
    c[SLOT_BAD_TOTAL] += 1.0f;
    if (c[SLOT_BAD_STREAK] >= (float)max_bad_steps) c[SLOT_HALTED] = 1.0f;
}

// One thread. The host-side statement of the same logic is dev/descent/internal/StepLogic.java: first
// the previous applied step gets its verdict (its update may have flagged OUTPUT_BAD), then
// this step is skipped or goes ahead.
extern "C" __global__ void begin_step(float* c, float max_norm, int max_bad_steps, float batch_index, int rows,
                                      int nadam, double beta1, double momentum_decay) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    if (c[SLOT_PENDING] != 0.0f) {
        c[SLOT_PENDING] = 0.0f;
        if (c[SLOT_OUTPUT_BAD] != 0.0f) {
            c[SLOT_OUTPUT_BAD] = 0.0f;
            c[SLOT_OVERFLOW_TOTAL] += 1.0f;
            count_bad(c, c[SLOT_LAST_BATCH], max_bad_steps);
        } else {
            c[SLOT_BAD_STREAK] = 0.0f;
        }
    }
    if (c[SLOT_HALTED] != 0.0f) {
        c[SLOT_SKIP] = 1.0f;
        return;
    }
    float loss = c[SLOT_BATCH_LOSS];
    float norm_sq = c[SLOT_NORM_SQ];
    if (!isfinite(loss) || !isfinite(norm_sq)) {
        c[SLOT_SKIP] = 1.0f;
        count_bad(c, batch_index, max_bad_steps);
        return;
    }
    c[SLOT_SKIP] = 0.0f;
    c[SLOT_PENDING] = 1.0f;
    c[SLOT_LAST_BATCH] = batch_index;
    float t = c[SLOT_STEP] + 1.0f;
    c[SLOT_STEP] = t;
    c[SLOT_CLIP_SCALE] = max_norm > 0.0f ? (float)fmin((double)max_norm / (sqrt((double)norm_sq) + 1e-6), 1.0) : 1.0f;
    c[SLOT_LOSS_SUM] = (float)((double)c[SLOT_LOSS_SUM] + loss);
    c[SLOT_CORRECT_SUM] += c[SLOT_BATCH_CORRECT];
    c[SLOT_SAMPLE_SUM] += (float)rows;
    if (nadam) {
        double mu = beta1 * (1.0 - 0.5 * pow(0.96, (double)t * momentum_decay));
        c[SLOT_MU_PRODUCT] = (float)((double)c[SLOT_MU_PRODUCT] * mu);
    }
}

#define STEP_PROLOGUE                                  \
    if (control[SLOT_SKIP] != 0.0f) return;            \
    const double t = (double)control[SLOT_STEP];       \
    const float scale = control[SLOT_CLIP_SCALE];      \
    (void)t;

// Per-step scalars that need pow or a division in double are formed by thread 0 of each block
// and handed to the block's threads through shared memory, behind one barrier. Formed in every
// thread, Adam's two pow() calls come to ~4e8 FP64 operations per 2^24-element step: hidden
// behind memory on an H100 (fused Adam ran at 101.5% of copy), but a real cost on GPUs whose
// FP64 runs at 1/32 or 1/64 of FP32. The values and their rounding are the per-thread form's.
#define ONCE_PER_BLOCK(count, values, ...) \
    __shared__ float values[count];        \
    if (threadIdx.x == 0) __VA_ARGS__      \
    __syncthreads();

#define GRAD(i, g) (clamp_grad((g), clip) * scale)
#define DECAY(i) ((i) < decay_end ? wd : 0.0f)

extern "C" __global__ void sgd_step(float* p, const float* g, float* buf, long long n, long long decay_end,
                                    float lr, float momentum, float one_minus_dampening, int nesterov, float wd,
                                    float clip, float* control) {
    STEP_PROLOGUE
    const bool first = t == 1.0;
    for_each_element(n, p, g, buf, 0, 0, control, [&](long long i, float& pi, float gi, float& b, float&, float&) {
        float x = GRAD(i, gi) + DECAY(i) * pi;
        if (momentum > 0.0f) {
            float nb = first ? x : momentum * b + one_minus_dampening * x;
            b = nb;
            x = nesterov ? x + momentum * nb : nb;
        }
        pi -= lr * x;
    });
}

extern "C" __global__ void adam_step(float* p, const float* g, float* m, float* v, float* vmax, long long n,
                                     long long decay_end, float lr, double beta1, double beta2, float eps, float wd,
                                     int decoupled, int amsgrad, float clip, float* control) {
    STEP_PROLOGUE
    const float b1 = (float)beta1, b2 = (float)beta2;
    const float c1 = (float)(1.0 - beta1), c2 = (float)(1.0 - beta2);
    ONCE_PER_BLOCK(2, k, {
        k[0] = (float)(lr / (1.0 - pow(beta1, t)));
        k[1] = (float)(1.0 / sqrt(1.0 - pow(beta2, t)));
    })
    const float step_size = k[0], inv_sqrt_bc2 = k[1];
    for_each_element(n, p, g, m, v, amsgrad ? vmax : 0, control,
                     [&](long long i, float& pi, float gi, float& mi, float& vi, float& vm) {
        float x = GRAD(i, gi);
        float d = DECAY(i);
        if (decoupled) pi -= lr * d * pi; else x += d * pi;
        mi = b1 * mi + c1 * x;
        vi = b2 * vi + c2 * x * x;
        float denom_v = vi;
        if (amsgrad) {
            vm = fmaxf(vm, vi);
            denom_v = vm;
        }
        pi -= step_size * mi / (sqrtf(denom_v) * inv_sqrt_bc2 + eps);
    });
}

extern "C" __global__ void adagrad_step(float* p, const float* g, float* sum, long long n, long long decay_end,
                                        float lr, double lr_decay, float eps, float wd, float clip,
                                        float* control) {
    STEP_PROLOGUE
    ONCE_PER_BLOCK(1, k, { k[0] = (float)(lr / (1.0 + (t - 1.0) * lr_decay)); })
    const float clr = k[0];
    for_each_element(n, p, g, sum, 0, 0, control, [&](long long i, float& pi, float gi, float& s, float&, float&) {
        float x = GRAD(i, gi) + DECAY(i) * pi;
        s = s + x * x;
        pi -= clr * x / (sqrtf(s) + eps);
    });
}

extern "C" __global__ void rmsprop_step(float* p, const float* g, float* square_avg, float* grad_avg, float* buf,
                                        long long n, long long decay_end, float lr, double alpha, float eps, float wd,
                                        float momentum, int centered, float clip, float* control) {
    STEP_PROLOGUE
    const float a = (float)alpha, ca = (float)(1.0 - alpha);
    for_each_element(n, p, g, square_avg, centered ? grad_avg : 0, momentum > 0.0f ? buf : 0, control,
                     [&](long long i, float& pi, float gi, float& sq, float& ga, float& b) {
        float x = GRAD(i, gi) + DECAY(i) * pi;
        float v = a * sq + ca * x * x;
        sq = v;
        if (centered) {
            float mean = a * ga + ca * x;
            ga = mean;
            v -= mean * mean;
        }
        float d = sqrtf(v) + eps;
        if (momentum > 0.0f) {
            b = momentum * b + x / d;
            pi -= lr * b;
        } else {
            pi -= lr * x / d;
        }
    });
}

extern "C" __global__ void adadelta_step(float* p, const float* g, float* square_avg, float* acc_delta, long long n,
                                         long long decay_end, float lr, double rho, float eps, float wd, float clip,
                                         float* control) {
    STEP_PROLOGUE
    const float r = (float)rho, cr = (float)(1.0 - rho);
    for_each_element(n, p, g, square_avg, acc_delta, 0, control,
                     [&](long long i, float& pi, float gi, float& sq, float& acc, float&) {
        float x = GRAD(i, gi) + DECAY(i) * pi;
        float v = r * sq + cr * x * x;
        sq = v;
        float dx = sqrtf(acc + eps) / sqrtf(v + eps) * x;
        acc = r * acc + cr * dx * dx;
        pi -= lr * dx;
    });
}

extern "C" __global__ void nadam_step(float* p, const float* g, float* m, float* v, long long n, long long decay_end,
                                      float lr, double beta1, double beta2, float eps, float wd, double momentum_decay,
                                      float clip, float* control) {
    STEP_PROLOGUE
    const float b1 = (float)beta1, b2 = (float)beta2;
    const float c1 = (float)(1.0 - beta1), c2 = (float)(1.0 - beta2);
    ONCE_PER_BLOCK(3, k, {
        const double mu = beta1 * (1.0 - 0.5 * pow(0.96, t * momentum_decay));
        const double mu_next = beta1 * (1.0 - 0.5 * pow(0.96, (t + 1.0) * momentum_decay));
        const double prod = (double)control[SLOT_MU_PRODUCT];
        k[0] = (float)(1.0 / (1.0 - pow(beta2, t)));
        k[1] = (float)(lr * (1.0 - mu) / (1.0 - prod));
        k[2] = (float)(lr * mu_next / (1.0 - prod * mu_next));
    })
    const float inv_bc2 = k[0], grad_coef = k[1], mom_coef = k[2];
    for_each_element(n, p, g, m, v, 0, control, [&](long long i, float& pi, float gi, float& mi, float& vi, float&) {
        float x = GRAD(i, gi) + DECAY(i) * pi;
        mi = b1 * mi + c1 * x;
        vi = b2 * vi + c2 * x * x;
        float denom = sqrtf(vi * inv_bc2) + eps;
        pi -= (grad_coef * x + mom_coef * mi) / denom;
    });
}

extern "C" __global__ void radam_step(float* p, const float* g, float* m, float* v, long long n, long long decay_end,
                                      float lr, double beta1, double beta2, float eps, float wd, float clip,
                                      float* control) {
    STEP_PROLOGUE
    const float b1 = (float)beta1, b2 = (float)beta2;
    const float c1 = (float)(1.0 - beta1), c2 = (float)(1.0 - beta2);
    // k[1] is 1 where the variance is rectified (rho_t > 5), 0 where the step is plain momentum.
    ONCE_PER_BLOCK(2, k, {
        const double bc1 = 1.0 - pow(beta1, t);
        const double b2t = pow(beta2, t);
        const double bc2 = 1.0 - b2t;
        const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        const double rho_t = rho_inf - 2.0 * t * b2t / bc2;
        const bool rect = rho_t > 5.0;
        const double r =
            rect ? sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) : 0.0;
        k[0] = (float)(rect ? lr * r * sqrt(bc2) / bc1 : lr / bc1);
        k[1] = rect ? 1.0f : 0.0f;
    })
    const float coef = k[0];
    const bool rectify = k[1] != 0.0f;
    for_each_element(n, p, g, m, v, 0, control, [&](long long i, float& pi, float gi, float& mi, float& vi, float&) {
        float x = GRAD(i, gi) + DECAY(i) * pi;
        mi = b1 * mi + c1 * x;
        vi = b2 * vi + c2 * x * x;
        pi -= rectify ? coef * mi / (sqrtf(vi) + eps) : coef * mi;
    });
}
