// Reductions: bias gradient (column sums), global gradient norm and the losses.
//
// Determinism: the norm and the losses are two-stage reductions over a FIXED grid (REDUCE_BLOCKS
// blocks for the losses; for the norm, a grid that depends on n only). Stage 1 writes one double
// partial per block (grid-stride order inside a thread, shared-memory tree inside a block); stage 2 (finish_sum, one block) adds the partials
// in index order into a control slot. No atomics, so the same inputs always give the same bits.
// The bias gradient gives each column to one thread, which walks the rows in order.
#include "common.cuh"

extern "C" __global__ void bias_gradient(int rows, int cols, const float* grad_z, float* grad_bias) {
    GRID_STRIDE(c, cols) {
        float sum = 0.0f;
        for (int r = 0; r < rows; r++) {
            sum += grad_z[(long long)r * cols + c];
        }
        grad_bias[c] = sum;
    }
}

// Stage 1 of the squared norm of clamp(g): partial[blockIdx] = block's sum, in double. Four
// floats per load where g is 16-byte aligned (the arena always is), scalar loads for the tail.
// The grid is a function of n alone (CudaOps.gradientNorm), so the sum stays deterministic.
extern "C" __global__ void __launch_bounds__(REDUCE_THREADS) norm_partial(const float* g, long long n, float clip, double* partial) {
    __shared__ double shared[REDUCE_THREADS];
    double sum = 0.0;
    const long long n4 = (reinterpret_cast<unsigned long long>(g) & 15) == 0 ? n / 4 : 0;
    GRID_STRIDE(q, n4) {
        float4 v = reinterpret_cast<const float4*>(g)[q];
        double a = clamp_grad(v.x, clip), b = clamp_grad(v.y, clip);
        double c = clamp_grad(v.z, clip), d = clamp_grad(v.w, clip);
        sum += a * a + b * b + c * c + d * d;
    }
    GRID_STRIDE(i, n - n4 * 4) {
        double v = clamp_grad(g[n4 * 4 + i], clip);
        sum += v * v;
    }
    double total = block_sum(sum, shared);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = total;
    }
}

// Stage 2: control[slot] = (accumulate ? control[slot] : 0) + sum of partial[0..count) for each
// of `series` consecutive series of partials (series k goes to slot + k).
extern "C" __global__ void __launch_bounds__(REDUCE_THREADS) finish_sum(const double* partial, int count, int series, float* control, int slot,
                                      int accumulate) {
    __shared__ double shared[REDUCE_THREADS];
    for (int k = 0; k < series; k++) {
        double sum = 0.0;
        for (int i = threadIdx.x; i < count; i += blockDim.x) {
            sum += partial[k * count + i];
        }
        double total = block_sum(sum, shared);
        if (threadIdx.x == 0) {
            control[slot + k] = (float)((accumulate ? (double)control[slot + k] : 0.0) + total);
        }
        __syncthreads();
    }
}

// Stage 1 of softmax cross-entropy on integer labels: one row per thread. Writes the gradient
// (softmax - onehot)/rows unless grad is null, and per-block partials of the loss sum
// (partial[b]) and of the correct count (partial[gridDim.x + b]).
extern "C" __global__ void __launch_bounds__(REDUCE_THREADS) softmax_xent(int rows, int cols, const float* y, const float* labels, float* grad,
                                        double* partial) {
    __shared__ double shared[REDUCE_THREADS];
    double loss = 0.0, correct = 0.0;
    GRID_STRIDE(r, rows) {
        const float* row = y + r * cols;
        int label = (int)labels[r];
        int argmax = 0;
        float mx = row[0];
        for (int c = 1; c < cols; c++) {
            if (row[c] > mx) { mx = row[c]; argmax = c; }
        }
        double sum_exp = 0.0;
        for (int c = 0; c < cols; c++) {
            sum_exp += exp((double)(row[c] - mx));
        }
        loss += log(sum_exp) + mx - row[label];
        correct += argmax == label ? 1.0 : 0.0;
        if (grad != 0) {
            double inv = 1.0 / sum_exp;
            for (int c = 0; c < cols; c++) {
                double p = exp((double)(row[c] - mx)) * inv;
                grad[r * cols + c] = (float)((p - (c == label ? 1.0 : 0.0)) / rows);
            }
        }
    }
    double l = block_sum(loss, shared);
    if (threadIdx.x == 0) partial[blockIdx.x] = l;
    __syncthreads();
    double k = block_sum(correct, shared);
    if (threadIdx.x == 0) partial[gridDim.x + blockIdx.x] = k;
}

// Stage 1 of mean squared error: loss = mean over elements of (y - t)^2, reported as a sum over
// rows of the per-row mean; gradient 2(y - t)/(rows*cols) unless grad is null.
extern "C" __global__ void __launch_bounds__(REDUCE_THREADS) mse(int rows, int cols, const float* y, const float* t, float* grad, double* partial) {
    __shared__ double shared[REDUCE_THREADS];
    double loss = 0.0;
    long long n = (long long)rows * cols;
    float scale = 2.0f / ((float)rows * cols);
    GRID_STRIDE(i, n) {
        float diff = y[i] - t[i];
        loss += (double)diff * diff / cols;
        if (grad != 0) {
            grad[i] = scale * diff;
        }
    }
    double l = block_sum(loss, shared);
    if (threadIdx.x == 0) partial[blockIdx.x] = l;
    __syncthreads();
    if (threadIdx.x == 0) partial[gridDim.x + blockIdx.x] = 0.0;
}
