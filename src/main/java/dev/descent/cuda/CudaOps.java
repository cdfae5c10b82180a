package dev.descent.cuda;

import dev.descent.Activation;
import dev.descent.Control;
import dev.descent.Loss;
import dev.descent.StepGuard;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;

/**
 * Launch geometry and argument lists for every non-optimizer kernel in kernels/cuda, in the
 * order each kernel's signature declares them. Grid-stride kernels get at most MAX_GRID blocks;
 * reductions use a grid that depends on nothing but their length (their determinism needs that).
 */
final class CudaOps {
    static final int THREADS = 256;
    /** Must match REDUCE_BLOCKS / REDUCE_THREADS in kernels/cuda/common.cuh. */
    static final int REDUCE_BLOCKS = 256;
    /**
     * Most blocks of the gradient-norm pass: about what an H100 keeps resident (132 SMs x 8
     * blocks of 256), where 256 blocks left three quarters of it idle on large arenas. Fewer
     * for small arenas, as a function of the length only, so the sum stays deterministic.
     */
    static final int NORM_BLOCKS = 1024;
    /** Most blocks a grid-stride launch gets; tests lower it so every loop wraps (see {@link #maxGrid}). */
    static final int MAX_GRID = 4096;

    final CudaDevice device;
    final KernelArgs args = new KernelArgs();
    /** Blocks per grid-stride launch at most: MAX_GRID, or a few in tests of the stride loops. */
    final int maxGrid;
    /** Stage-1 partial sums of the reductions: two series of REDUCE_BLOCKS doubles, or NORM_BLOCKS. */
    private final DeviceMemory partial;
    private final int fill, gather, biasActivation, activationBackward, gemmTiled, gemmTiled2, biasGradient, normPartial,
            finishSum, softmaxXent, mse, beginStep;

    CudaOps(CudaDevice device, int maxGrid) {
        if (maxGrid < 1) {
            throw new IllegalArgumentException("maxGrid must be >= 1, got " + maxGrid);
        }
        this.device = device;
        this.maxGrid = maxGrid;
        this.partial = device.malloc(Math.max(2L * REDUCE_BLOCKS, NORM_BLOCKS) * 8);
        fill = device.function("fill_kernel");
        gather = device.function("gather_rows");
        biasActivation = device.function("bias_activation");
        activationBackward = device.function("activation_backward");
        gemmTiled = device.function("gemm_tiled");
        gemmTiled2 = device.function("gemm_tiled2");
        biasGradient = device.function("bias_gradient");
        normPartial = device.function("norm_partial");
        finishSum = device.function("finish_sum");
        softmaxXent = device.function("softmax_xent");
        mse = device.function("mse");
        beginStep = device.function("begin_step");
    }

    int grid(long work) {
        return (int) Math.max(1, Math.min(maxGrid, (work + THREADS - 1) / THREADS));
    }

    void fill(DeviceMemory x, long offset, long n, float value) {
        device.launch(fill, grid(n), 1, THREADS, args.clear().ptr(x, offset).l(n).f(value));
    }

    void gather(DeviceMemory src, int cols, DeviceMemory index, int indexOffset, int rows, DeviceMemory dst) {
        device.launch(gather, grid((long) rows * cols), 1, THREADS,
                args.clear().ptr(src, 0).i(cols).ptr(index, indexOffset).i(rows).ptr(dst, 0));
    }

    void biasActivation(Activation act, int rows, int cols, DeviceMemory z, int zOff, DeviceMemory bias, int bOff,
                        DeviceMemory out, int outOff) {
        device.launch(biasActivation, grid((long) rows * cols), 1, THREADS, args.clear().i(act.ordinal()).i(rows)
                .i(cols).ptr(z, zOff).ptr(bias, bOff).ptr(out, outOff));
    }

    void activationBackward(Activation act, long n, DeviceMemory z, int zOff, DeviceMemory go, int goOff,
                            DeviceMemory gz, int gzOff) {
        device.launch(activationBackward, grid(n), 1, THREADS,
                args.clear().i(act.ordinal()).l(n).ptr(z, zOff).ptr(go, goOff).ptr(gz, gzOff));
    }

    /** descent's own tiled SGEMM, variant 1 or 2: 128 x 128 tiles, 256 threads (see kernels/cuda/gemm.cu). */
    void gemmTiled(int variant, boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceMemory a,
                   int aOff, DeviceMemory b, int bOff, float beta, DeviceMemory c, int cOff) {
        device.launch(variant == 1 ? gemmTiled : gemmTiled2, (n + 127) / 128, (m + 127) / 128, THREADS,
                args.clear().flag(transA).flag(transB)
                .i(m).i(n).i(k).f(alpha).ptr(a, aOff).ptr(b, bOff).f(beta).ptr(c, cOff));
    }

    void biasGradient(int rows, int cols, DeviceMemory gz, int gzOff, DeviceMemory gb, int gbOff) {
        device.launch(biasGradient, grid(cols), 1, THREADS, args.clear().i(rows).i(cols).ptr(gz, gzOff).ptr(gb, gbOff));
    }

    void gradientNorm(DeviceMemory g, long n, float clip, DeviceMemory control) {
        int blocks = Math.min(NORM_BLOCKS, grid((n + 3) / 4));
        device.launch(normPartial, blocks, 1, THREADS, args.clear().ptr(g, 0).l(n).f(clip).ptr(partial, 0));
        finish(blocks, 1, control, Control.NORM_SQ, false);
    }

    void loss(Loss loss, int rows, int cols, DeviceMemory y, int yOff, DeviceMemory t, int tOff, DeviceMemory grad,
              int gOff, DeviceMemory control, boolean evaluation) {
        args.clear().i(rows).i(cols).ptr(y, yOff).ptr(t, tOff);
        if (evaluation || grad == null) {
            args.nullPtr();
        } else {
            args.ptr(grad, gOff);
        }
        args.ptr(partial, 0);
        device.launch(loss == Loss.SOFTMAX_CROSS_ENTROPY ? softmaxXent : mse, REDUCE_BLOCKS, 1, THREADS, args);
        finish(REDUCE_BLOCKS, 2, control, evaluation ? Control.EVAL_LOSS_SUM : Control.BATCH_LOSS, evaluation);
    }

    /** Adds {@code series} series of {@code count} partials each into control[slot..]. */
    private void finish(int count, int series, DeviceMemory control, int slot, boolean accumulate) {
        device.launch(finishSum, 1, 1, THREADS, args.clear().ptr(partial, 0).i(count).i(series)
                .ptr(control, 0).i(slot).flag(accumulate));
    }

    void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, DeviceMemory control) {
        NAdam nadam = spec instanceof NAdam n ? n : null;
        device.launch(beginStep, 1, 1, 1, args.clear().ptr(control, 0).f((float) guard.maxNorm())
                .i(guard.maxBadSteps()).f((float) batchIndex).i(rows).flag(nadam != null)
                .d(nadam != null ? nadam.beta1() : 0).d(nadam != null ? nadam.momentumDecay() : 0));
    }

    void close() {
        device.free(partial);
    }
}
