package dev.descent.bench;

/**
 * GEMM shape names shared by the descent and OpenBLAS benchmarks: "N" is N x N x N (NN);
 * "fwd-BxIxO" is the forward product (batch x in) * (in x out), NN; "dw-IxOxB" the weight
 * gradient in^T * dZ, TN; "dx-BxIxO" the input gradient dZ * W^T, NT.
 */
final class Shapes {
    private Shapes() {}

    record Gemm(int m, int n, int k, boolean transA, boolean transB) {
        double flops() {
            return 2.0 * m * n * k;
        }
    }

    static Gemm parse(String shape) {
        if (!shape.contains("-")) {
            int s = Integer.parseInt(shape);
            return new Gemm(s, s, s, false, false);
        }
        String[] kind = shape.split("-", 2);
        String[] d = kind[1].split("x");
        int a = Integer.parseInt(d[0]), b = Integer.parseInt(d[1]), c = Integer.parseInt(d[2]);
        switch (kind[0]) {
            case "fwd": return new Gemm(a, c, b, false, false);   // (B x I)(I x O)
            case "dw": return new Gemm(a, b, c, true, false);     // in^T (I x B, stored B x I) * dZ (B x O)
            case "dx": return new Gemm(a, b, c, false, true);     // dZ (B x O) * W^T (O x I)
            default: throw new IllegalArgumentException("unknown GEMM shape " + shape);
        }
    }
}
