package dev.descent.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM with the incubating Vector API, used only when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (see {@link GemmKernels}); otherwise
 * {@link CpuGemm} runs. Row-major, C = alpha op(A) op(B) + beta C.
 *
 * <p>Version 4: the classic register-blocked micro-kernel. op(A) is packed MR rows at a time
 * ([k][MR], zero-padded), op(B) NR = 2 vectors of columns at a time ([k][NR], zero-padded); for
 * each k the kernel broadcasts MR values of A and does MR x 2 fused multiply-adds into
 * accumulators that stay in registers for the whole K block (12 of the 32 AVX-512 registers).
 * This is what auto-vectorized Java cannot express: there every FMA also loads and stores an
 * accumulator. Edge tiles compute on the zero padding and store only the valid part.
 * Since version 4 alpha and beta are applied as the kernel stores (no pass over C to scale it
 * first, and C is not read at all when beta is 0), A is packed row by row, and products with
 * at most 4 rows or a depth of at most 4 go to {@link VectorThinGemm}, and those with B stored
 * transposed and few rows of C to {@link VectorTransposedBGemm}, which does not pack B.
 */
final class VectorGemm {
    private VectorGemm() {}

    static VectorSpecies<Float> species(int bits) {
        if (bits == 0) {
            return FloatVector.SPECIES_PREFERRED;
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("descent.cpu.vectorBits must be 128, 256 or 512, got " + bits);
        }
        return VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(bits));
    }

    /**
     * The machine's preferred vector width (8 floats with AVX2, 16 with AVX-512), unless
     * {@code -Ddescent.cpu.vectorBits=128|256|512} picks another: the test suite runs the
     * parity harness with 256 bits too, so an AVX-512 machine also checks the AVX2-width path.
     */
    static final VectorSpecies<Float> S = species(Integer.getInteger("descent.cpu.vectorBits", 0));
    static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    /** Whether {@link #block} walks B's column panels outside A's row panels (16-lane vectors). */
    static final boolean PANEL_OUTER = L >= 16;
    /**
     * Depth of a K block, at most: C's tiles are read and written once per block, and each
     * kernel call pays its set-up and its loads of C once per block. 1024 with NC = 1024 (a 4 MiB
     * B panel per thread) ran 1024^3 6-10% and 2048^3 0-6% faster than 256 with NC = 2048,
     * medians of 4-6 alternating runs on the 2-core development VM.
     */
    static final int KC = 1024;
    static final int MC = 96;   // rows of A per packed block (multiple of MR)
    static final int NC = 1024; // columns of B per packed block (multiple of NR)

    private static final ThreadLocal<float[]> PACK_A = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> PACK_B = ThreadLocal.withInitial(() -> new float[KC * NC]); // 4 MiB
    private static final ThreadLocal<float[]> EDGE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    static void gemm(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        if (VectorThinGemm.thin(m, k)) {
            VectorThinGemm.gemm(par, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
            return;
        }
        if (VectorTransposedBGemm.takes(transB, m)) {
            VectorTransposedBGemm.gemm(par, transA, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
            return;
        }
        if (sharedPacking(m, n, k)) {
            shared(par, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
            return;
        }
        // Each thread packs all of the operand it does not split: split a wide C over columns,
        // so that the smaller A is the one packed twice (a batch-64 product with a 4096 x 4096 B
        // had both threads read all 64 MiB of B). Split over rows, op(B) is packed once, in
        // pieces, by whichever thread reaches each first, when it fits SHARED_B_FLOATS.
        PackedPieces shared = packsBOnce(par.threads(), m, n, k) ? PIECES.get() : null;
        if (shared != null) {
            // Pieces numbered up to the one the K block after the last would start at.
            shared.begin(k * paddedColumns(n), firstPiece((k + KC - 1) / KC, 0, n));
        }
        CpuGemm.split(par, m, n, k, MR, NR, true, (i0, i1, j0, j1) ->
                block(shared, transA, transB, i0, i1, j0, j1, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff));
    }

    /**
     * Largest packed op(B), in floats, that a split over rows packs once for all threads (16 MiB:
     * k x n up to 2048 x 2048); a larger one is packed by every thread, a block at a time.
     */
    static final long SHARED_B_FLOATS = 1 << 22;
    /**
     * Whether {@link #block}'s threads share one packing of op(B), in pieces: the product is split
     * over rows and its packed op(B) takes from {@link #MIN_SHARED_B_FLOATS} to {@link #SHARED_B_FLOATS}.
     */
    static boolean packsBOnce(int threads, int m, int n, int k) {
        long floats = (long) k * paddedColumns(n);
        return threads > 1 && CpuGemm.splitsByRows(threads, m, n, MR, NR, true)
                && floats >= MIN_SHARED_B_FLOATS && floats <= SHARED_B_FLOATS;
    }

    /** Below this (1 MiB of packed B) the pieces' bookkeeping is not worth it. */
    static final long MIN_SHARED_B_FLOATS = 1 << 18;
    /**
     * Columns of op(B) per piece claimed by one thread: 4 panels (128 columns with AVX-512, 512 KiB
     * of a 1024-deep block).
     */
    static final int PIECE_COLUMNS = 4 * NR;
    static final int PIECES_PER_BLOCK = NC / PIECE_COLUMNS;

    /** Number of the first piece of op(B)'s block in K block {@code kBlock} and columns from {@code jc}. */
    private static int firstPiece(int kBlock, int jc, int n) {
        return (kBlock * ((n + NC - 1) / NC) + jc / NC) * PIECES_PER_BLOCK;
    }

    private static final ThreadLocal<PackedPieces> PIECES = ThreadLocal.withInitial(PackedPieces::new);

    /** n rounded up to whole NR-column panels. */
    private static int paddedColumns(int n) {
        return (n + NR - 1) / NR * NR;
    }

    /**
     * Products whose packed operands take at most this many floats (4 MiB: the 784-256-128-10
     * MLP's GEMMs at any batch up to a few hundred, squares up to 724) are packed whole, once,
     * by all threads together, and then shared (see {@link #shared}).
     */
    static final long SHARED_PACK_FLOATS = 1 << 20;

    /**
     * Whether {@link #shared} takes the product: its packed operands fit {@link #SHARED_PACK_FLOATS},
     * and it has at least 2^24 flops, below which its three parallel passes cost more than they
     * save (64x256x128 ran 10-20% slower that way).
     */
    static boolean sharedPacking(int m, int n, int k) {
        return packedFloats(m, n, k) <= SHARED_PACK_FLOATS && 2L * m * n * k >= 1 << 24;
    }

    /** Floats of op(A) and op(B) packed whole into zero-padded MR-row and NR-column panels. */
    static long packedFloats(int m, int n, int k) {
        return ((long) (m + MR - 1) / MR * MR + (long) (n + NR - 1) / NR * NR) * k;
    }

    /** Each thread's own packing of the whole of op(A) in {@link #shared}. */
    private static final ScratchFloats OWN_A = new ScratchFloats();

    /**
     * One parallel pass over C's MR x NR tiles, split evenly between the threads and walked column
     * panel by column panel, k in blocks of {@link #blockDepth}:
     * <ul>
     * <li>every thread packs the whole of op(A), all of k, into its own buffer. Packed once into a
     * buffer that both threads read, op(A) took 33 us of the 784x64x256:ta product whether one
     * thread packed it or two: each pack had to take every cache line back from the other core,
     * which had read it in the previous call. Alone, one thread packs it in 14. The product ran
     * 6-25% faster this way (five series alternating old and new code in one JVM); the others
     * measured, forward, input gradient, 256^3 and 512^3, moved by less than the noise (0-3%);</li>
     * <li>op(B) is packed once, in pieces of 4 column panels, into a buffer the threads share: a
     * thread packs a piece when it first needs it unless another thread claimed it first (see
     * {@link PackedPieces}), and each thread's tiles start in its own piece, so a piece is packed
     * by the thread that uses it and then read from that thread's cache. That measured the same
     * as a separate parallel pass packing op(B), and leaves one pass where there were three.</li>
     * </ul>
     * In {@link #block}'s split every thread packs the whole of one operand, which for training's
     * skinny products (batch 64 x 784 x 256) is a tenth of the work, and a split in whole MR-row
     * blocks leaves 64 rows as 36 + 28.
     */
    private static void shared(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                               float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        int aPanels = (m + MR - 1) / MR;
        int bPanels = (n + NR - 1) / NR;
        PackedPieces pieces = PIECES.get();
        pieces.begin(bPanels * NR * k, (n + PIECE_COLUMNS - 1) / PIECE_COLUMNS);
        float[] pb = pieces.buffer();
        par.forRange(aPanels * bPanels, CpuGemm.grain(m, n, k), 1, (chunk, from, to) -> {
            float[] pa = OWN_A.atLeast(aPanels * MR * k);
            for (int u = 0; u < aPanels; u++) {
                packPanelA(transA, a, aOff, m, k, u * MR, Math.min(MR, m - u * MR), 0, k, pa, u * MR * k);
            }
            int depth = blockDepth(k);
            for (int pc = 0; pc < k; pc += depth) {
                int kc = Math.min(depth, k - pc);
                float cScale = pc == 0 ? beta : 1f;
                // Column panel by column panel: a thread's B panels stay in its own cache, and
                // each is used by every row panel in turn (row-major order ran 10-15% slower).
                for (int t = from; t < to; t++) {
                    int jr = t / aPanels;
                    int ir = t - jr * aPanels;
                    // Each piece is made ready where this thread's tiles first reach it.
                    if (pc == 0 && (t == from || ir == 0 && jr * NR % PIECE_COLUMNS == 0)) {
                        readyPiece(pieces, jr * NR / PIECE_COLUMNS, transB, b, bOff, n, k);
                    }
                    micro(pa, ir * MR * k + pc * MR, pb, jr * NR * k + pc * NR, kc, c, cOff + ir * MR * n + jr * NR, n,
                            Math.min(MR, m - ir * MR), Math.min(NR, n - jr * NR), alpha, cScale);
                }
            }
        });
    }

    /**
     * Makes piece q of {@link #shared}'s op(B) (columns from q * PIECE_COLUMNS, all of k) ready:
     * packs it if no other thread has claimed it, else waits for the thread that did.
     */
    private static void readyPiece(PackedPieces pieces, int q, boolean transB, float[] b, int bOff, int n, int k) {
        int jc = q * PIECE_COLUMNS;
        if (!packIfUnclaimed(pieces, q, transB, b, bOff, n, k, 0, k, jc, Math.min(PIECE_COLUMNS, n - jc), jc * k)) {
            pieces.await(q);
        }
    }

    /**
     * Packs op(B)'s rows [pc, pc + kc) x columns [jc, jc + nc) into the pieces' buffer at
     * {@code at} as piece {@code id}, if no other thread has claimed it; true if this thread did.
     */
    private static boolean packIfUnclaimed(PackedPieces pieces, int id, boolean transB, float[] b, int bOff, int n,
                                           int k, int pc, int kc, int jc, int nc, int at) {
        if (!pieces.claim(id)) {
            return false;
        }
        try {
            packB(transB, b, bOff, n, k, pc, kc, jc, nc, pieces.buffer(), at);
        } finally {
            // Even a failed pack is marked ready: a thread waiting for it must not hang, and
            // Parallel rethrows the failure to the caller.
            pieces.ready(id);
        }
        return true;
    }

    /** K blocks of equal depth, at most {@link #KC}: 1500 is 750 + 750, not 1024 + 476. */
    static int blockDepth(int k) {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /**
     * Rows [i0, i1) x columns [j0, j1) of C, block by block. op(B)'s KC x NC blocks are packed
     * into this thread's own buffer, or with {@code shared} into the call's shared one, at
     * pc * paddedColumns(n) + jc * kc for the block at (pc, jc).
     */
    private static void block(PackedPieces shared, boolean transA, boolean transB, int i0, int i1, int j0, int j1,
                              int m, int n, int k, float alpha, float[] a, int aOff, float[] b, int bOff, float beta,
                              float[] c, int cOff) {
        float[] pa = PACK_A.get();
        float[] pb = shared == null ? PACK_B.get() : shared.buffer();
        int depth = blockDepth(k);
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += depth) {
                int kc = Math.min(depth, k - pc);
                // beta applies once, on the first K block; no separate pass over C.
                float cScale = pc == 0 ? beta : 1f;
                int bo = 0;
                if (shared == null) {
                    packB(transB, b, bOff, n, k, pc, kc, jc, nc, pb, 0);
                } else {
                    bo = pc * paddedColumns(n) + jc * kc;
                    packPieces(shared, firstPiece(pc / depth, jc, n), (int) ((long) i0 * PIECES_PER_BLOCK / m), transB,
                            b, bOff, n, k, pc, kc, jc, nc, bo);
                }
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    for (int ir = 0; ir < mc; ir += MR) {
                        packPanelA(transA, a, aOff, m, k, ic + ir, Math.min(MR, mc - ir), pc, kc, pa, ir * kc);
                    }
                    // With 16-lane vectors, column panel outer and row panel inner: each B panel
                    // (kc x NR, 128 KiB) serves every row panel of the packed A block from L2, where
                    // row panel outer swept the whole 4 MiB B block from L3 for every A panel. One
                    // JVM alternating both, two threads, Zen 5: 1024^3 314 -> 342 GFLOP/s, 2048^3
                    // 334 -> 356, 4096^3 320 -> 334, 1024x4096x4096 318 -> 338, 1024^3 with A
                    // transposed 270 -> 302. With 8 lanes it was mixed (1024^3 +5%, 2048^3 +1%,
                    // 4096^3 -5%, likely as a tile row of C is then one cache line, a page from the
                    // next, and the inner loop walks down C), so narrower vectors keep row panels outer.
                    if (!PANEL_OUTER) {
                        for (int ir = 0; ir < mc; ir += MR) {
                            for (int jr = 0; jr < nc; jr += NR) {
                                micro(pa, ir * kc, pb, bo + jr * kc, kc, c, cOff + (ic + ir) * n + jc + jr, n,
                                        Math.min(MR, mc - ir), Math.min(NR, nc - jr), alpha, cScale);
                            }
                        }
                        continue;
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        for (int ir = 0; ir < mc; ir += MR) {
                            micro(pa, ir * kc, pb, bo + jr * kc, kc, c, cOff + (ic + ir) * n + jc + jr, n,
                                    Math.min(MR, mc - ir), Math.min(NR, nc - jr), alpha, cScale);
                        }
                    }
                }
            }
        }
    }

    /**
     * Makes the pieces of one KC x NC block of op(B) ready in the shared buffer at {@code at}:
     * packs those no other thread has claimed, starting at piece {@code start} (each thread
     * starts at its own share, so the threads pack different pieces at the same time), then
     * waits for the rest.
     */
    private static void packPieces(PackedPieces pieces, int first, int start, boolean transB, float[] b, int bOff,
                                   int n, int k, int pc, int kc, int jc, int nc, int at) {
        int count = (nc + PIECE_COLUMNS - 1) / PIECE_COLUMNS;
        for (int s = 0; s < count; s++) {
            int q = (start + s) % count;
            packIfUnclaimed(pieces, first + q, transB, b, bOff, n, k, pc, kc, jc + q * PIECE_COLUMNS,
                    Math.min(PIECE_COLUMNS, nc - q * PIECE_COLUMNS), at + q * PIECE_COLUMNS * kc);
        }
        for (int q = 0; q < count; q++) {
            pieces.await(first + q);
        }
    }

    /**
     * One MR-row panel of op(A): pa[at + p*MR + r] = op(A)[i0+r][pc+p] for p < kc, zero for rows
     * from {@code rows} on. A transposed (k x m) gives MR contiguous values per p.
     */
    private static void packPanelA(boolean transA, float[] a, int aOff, int m, int k, int i0, int rows, int pc, int kc,
                                   float[] pa, int at) {
        if (!transA) {
            packRows(a, aOff + i0 * k + pc, k, rows, kc, pa, at);
            return;
        }
        int p = 0;
        if (rows == MR && L >= MR) {
            p = copySixes(a, aOff + pc * m + i0, m, kc, pa, at);
        }
        for (; p < kc; p++) {
            int src = aOff + (pc + p) * m + i0;
            int dst = at + p * MR;
            for (int r = 0; r < MR; r++) {
                pa[dst + r] = r < rows ? a[src + r] : 0f;
            }
        }
    }

    /**
     * pa[at + p*MR + r] = a[src + p*lda + r], r < MR, for the first p of {@code kc}, and returns
     * how many p it copied: the MR contiguous floats of each row of a transposed A, with one
     * vector load and one store of L lanes each. The lanes past MR land on the next p's slots and
     * are overwritten by its store; the last p's, whose lanes would pass the panel's end, are
     * left to the caller. Element by element, with the edge test inside, this ran at 0.87 ns a
     * float against 0.23 and took a fifth of the weight-gradient product 784x64x256:ta.
     *
     * <p>L lanes of {@link #S}, not an 8-lane species that would store less: a second vector
     * shape anywhere in the JVM makes C2's type profile inside FloatVector.intoArray bimorphic,
     * and then no store of either shape compiles to a vector instruction (every vector is
     * boxed; this pack and the B pack beside it ran several times slower).
     */
    private static int copySixes(float[] a, int src, int lda, int kc, float[] pa, int at) {
        int count = kc * MR < L ? 0 : (kc * MR - L) / MR + 1;
        for (int p = 0; p < count; p++) {
            FloatVector.fromArray(S, a, src + p * lda).intoArray(pa, at + p * MR);
        }
        return count;
    }

    /**
     * pa[base + p*MR + r] = a[src + r*lda + p] for r < rows, zero for the rows after: A not
     * transposed. Row by row, so each loop reads one row in order and stores at a constant
     * stride, with no test in it; interleaving the rows element by element (with the transpose
     * and edge tests inside) cost a fifth of the batch-64 forward GEMM.
     */
    private static void packRows(float[] a, int src, int lda, int rows, int kc, float[] pa, int base) {
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                int row = src + r * lda;
                for (int p = 0; p < kc; p++) {
                    pa[base + p * MR + r] = a[row + p];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    pa[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /** pb[at + (j/NR)*kc*NR + p*NR + j%NR] = op(B)[pc+p][jc+j], zero columns past nc. */
    private static void packB(boolean transB, float[] b, int bOff, int n, int k, int pc, int kc, int jc, int nc,
                              float[] pb, int at) {
        if (!transB) {
            // Row by row across every full panel: each row of B is read in one run. Panel by
            // panel, two vectors per row, read B with a stride of n floats, a new 4 KiB page per
            // row at n = 1024: packing 1024 x 1024 on one thread took 574 us against 411 this
            // way. Whole products moved by less than this VM's noise.
            int full = nc / NR * NR;
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * n + jc;
                int dst = at + p * NR;
                for (int jr = 0; jr < full; jr += NR) {
                    FloatVector.fromArray(S, b, src + jr).intoArray(pb, dst + jr * kc);
                    FloatVector.fromArray(S, b, src + jr + L).intoArray(pb, dst + jr * kc + L);
                }
            }
            if (full == nc) {
                return;
            }
            int width = nc - full;
            for (int p = 0; p < kc; p++) {
                int dst = at + full * kc + p * NR;
                System.arraycopy(b, bOff + (pc + p) * n + jc + full, pb, dst, width);
                java.util.Arrays.fill(pb, dst + width, dst + NR, 0f);
            }
            return;
        }
        packTransposedB(b, bOff, k, pc, kc, jc, nc, pb, at);
    }

    /**
     * {@link #packB} for B stored n x k. Its own method: inside packB, with the row-by-row copy
     * beside it, this loop ran the input-gradient product 12-13% slower (C2 compiles it alone).
     */
    private static void packTransposedB(float[] b, int bOff, int k, int pc, int kc, int jc, int nc, float[] pb,
                                        int at) {
        // Walk each row of B along k (contiguous reads) and scatter into the panel with stride
        // NR, which stays in cache; the other order reads B with stride k and missed the cache
        // on every element (the input-gradient GEMM ran at a third of OpenBLAS's speed). Eight
        // values of k from each row in turn packed a warm B 25% faster, but in the product, with
        // B cold, the input gradient 64x256x784:tb ran 3-9% slower (alternating in one JVM).
        for (int jr = 0; jr < nc; jr += NR) {
            int base = at + jr * kc;
            int width = Math.min(NR, nc - jr);
            for (int j = 0; j < width; j++) {
                int src = bOff + (jc + jr + j) * k + pc;
                for (int p = 0; p < kc; p++) {
                    pb[base + p * NR + j] = b[src + p];
                }
            }
            for (int p = 0; p < kc && width < NR; p++) {
                java.util.Arrays.fill(pb, base + p * NR + width, base + p * NR + NR, 0f);
            }
        }
    }

    /**
     * C[MR x NR tile] = cScale C + alpha (packed A panel x packed B panel) over kc; stores rows
     * < mr, columns < nr. cScale is beta on the first K block (0: C is not read, NaN included)
     * and 1 after.
     */
    private static void micro(float[] pa, int ao, float[] pb, int bo, int kc, float[] c, int co, int ldc,
                              int mr, int nr, float alpha, float cScale) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo + p * NR);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + p * NR + L);
            int ap = ao + p * MR;
            FloatVector x = FloatVector.broadcast(S, pa[ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[ap + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[ap + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[ap + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[ap + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, pa[ap + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        if (alpha != 1) {
            c00 = c00.mul(alpha);
            c01 = c01.mul(alpha);
            c10 = c10.mul(alpha);
            c11 = c11.mul(alpha);
            c20 = c20.mul(alpha);
            c21 = c21.mul(alpha);
            c30 = c30.mul(alpha);
            c31 = c31.mul(alpha);
            c40 = c40.mul(alpha);
            c41 = c41.mul(alpha);
            c50 = c50.mul(alpha);
            c51 = c51.mul(alpha);
        }
        // Written out, not looped over an array: a FloatVector stored into an array escapes, and
        // C2 then keeps every vector of the method boxed (the kernel ran at 3.5 GFLOP/s that way).
        boolean full = mr == MR && nr == NR;
        float[] dst = full ? c : EDGE.get();
        int o = full ? co : 0;
        int ld = full ? ldc : NR;
        if (full && cScale != 0) {
            FloatVector s = FloatVector.broadcast(S, cScale);
            c00 = FloatVector.fromArray(S, c, o).fma(s, c00);
            c01 = FloatVector.fromArray(S, c, o + L).fma(s, c01);
            c10 = FloatVector.fromArray(S, c, o + ld).fma(s, c10);
            c11 = FloatVector.fromArray(S, c, o + ld + L).fma(s, c11);
            c20 = FloatVector.fromArray(S, c, o + 2 * ld).fma(s, c20);
            c21 = FloatVector.fromArray(S, c, o + 2 * ld + L).fma(s, c21);
            c30 = FloatVector.fromArray(S, c, o + 3 * ld).fma(s, c30);
            c31 = FloatVector.fromArray(S, c, o + 3 * ld + L).fma(s, c31);
            c40 = FloatVector.fromArray(S, c, o + 4 * ld).fma(s, c40);
            c41 = FloatVector.fromArray(S, c, o + 4 * ld + L).fma(s, c41);
            c50 = FloatVector.fromArray(S, c, o + 5 * ld).fma(s, c50);
            c51 = FloatVector.fromArray(S, c, o + 5 * ld + L).fma(s, c51);
        }
        c00.intoArray(dst, o);
        c01.intoArray(dst, o + L);
        c10.intoArray(dst, o + ld);
        c11.intoArray(dst, o + ld + L);
        c20.intoArray(dst, o + 2 * ld);
        c21.intoArray(dst, o + 2 * ld + L);
        c30.intoArray(dst, o + 3 * ld);
        c31.intoArray(dst, o + 3 * ld + L);
        c40.intoArray(dst, o + 4 * ld);
        c41.intoArray(dst, o + 4 * ld + L);
        c50.intoArray(dst, o + 5 * ld);
        c51.intoArray(dst, o + 5 * ld + L);
        if (full) {
            return;
        }
        float[] edge = dst;
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                int ci = co + r * ldc + j;
                c[ci] = (cScale == 0 ? 0f : cScale * c[ci]) + edge[r * NR + j];
            }
        }
    }
}
