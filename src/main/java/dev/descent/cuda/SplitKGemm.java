package dev.descent.cuda;

/**
 * descent's SGEMM variant 3 (kernels/cuda/gemm.cu): 64 x 64 tiles and split-K, for the shapes of
 * training at small batches, where variant 2's 128 x 128 tiles leave most of a GPU idle (the
 * batch-64 products of 784-256-128-10 make 1 to 7 of them; an H100 has 132 multiprocessors).
 * When the tiles alone are too few, K is cut into splits that run as separate blocks, each
 * writing its raw sums to a workspace allocated once, at open; a second kernel adds the splits
 * in order, so the result does not depend on timing.
 */
final class SplitKGemm {
    /** Blocks a product should reach before K is split further: two per SM of a 132-SM H100. */
    static final int TARGET_BLOCKS = 264;
    /** The least K per split: below eight k-steps of 16, a block's loads and stores outweigh its FMAs. */
    static final int MIN_SPLIT_K = 128;
    /** Workspace floats (16 MiB): 64 x 4096 with 16 splits, or 64 x 784 with 80. */
    static final long WORKSPACE_FLOATS = 1L << 22;
    private static final int TILE = 64;
    private static final int K_STEP = 16;

    private final CudaOps ops;
    private final int tiled3, splitSum;
    private final DeviceMemory workspace;

    SplitKGemm(CudaOps ops) {
        this.ops = ops;
        this.tiled3 = ops.device.function("gemm_tiled3");
        this.splitSum = ops.device.function("gemm_split_sum");
        this.workspace = ops.device.malloc(WORKSPACE_FLOATS * 4);
    }

    /**
     * The K range of each split for an m x n x k product: 0 when K is not split (one block per
     * tile writes C directly), else a multiple of 16 that cuts k into {@link #splits} pieces.
     *
     * @return the chunk of k each split sums, or 0 for no split
     */
    static int chunk(int m, int n, int k) {
        long tiles = (long) ((m + TILE - 1) / TILE) * ((n + TILE - 1) / TILE);
        long wanted = (TARGET_BLOCKS + tiles - 1) / tiles;
        long splits = Math.min(Math.min(wanted, k / MIN_SPLIT_K), WORKSPACE_FLOATS / ((long) m * n));
        if (splits <= 1) {
            return 0;
        }
        long perSplit = (k + splits - 1) / splits;
        return (int) ((perSplit + K_STEP - 1) / K_STEP * K_STEP);
    }

    /** @return the number of splits {@link #chunk} gives (1 when K is not split) */
    static int splits(int m, int n, int k) {
        return splitsOf(k, chunk(m, n, k));
    }

    private static int splitsOf(int k, int chunk) {
        return chunk == 0 ? 1 : (k + chunk - 1) / chunk;
    }

    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceMemory a, int aOff,
              DeviceMemory b, int bOff, float beta, DeviceMemory c, int cOff) {
        int tilesX = (n + TILE - 1) / TILE;
        int chunk = chunk(m, n, k);
        int splits = splitsOf(k, chunk);
        KernelArgs args = ops.args.clear().flag(transA).flag(transB).i(m).i(n).i(k).f(alpha).ptr(a, aOff)
                .ptr(b, bOff).f(beta).ptr(c, cOff).i(tilesX).i(chunk == 0 ? Math.max(k, 1) : chunk);
        if (splits == 1) {
            args.nullPtr();
        } else {
            args.ptr(workspace, 0);
        }
        ops.device.launch(tiled3, tilesX * splits, (m + TILE - 1) / TILE, CudaOps.THREADS, args);
        if (splits > 1) {
            long mn = (long) m * n;
            ops.device.launch(splitSum, ops.grid(mn), 1, CudaOps.THREADS, ops.args.clear().l(mn).i(splits)
                    .ptr(workspace, 0).f(alpha).f(beta).ptr(c, cOff));
        }
    }

    void close() {
        ops.device.free(workspace);
    }
}
