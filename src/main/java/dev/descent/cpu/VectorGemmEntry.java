package dev.descent.cpu;

/** Loaded by name from {@link GemmKernels} only when the Vector API module is present. */
final class VectorGemmEntry implements GemmKernels.Gemm {
    @Override
    public void gemm(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        VectorGemm.gemm(par, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
    }

    @Override
    public String name() {
        return "Vector API (" + VectorGemm.L + " lanes)";
    }
}
