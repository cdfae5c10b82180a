package dev.descent.cli;

/**
 * A GEMM the bench command measures: C (m x n) = op(A) (m x k) op(B) (k x n), where op
 * transposes when the shape says so. Written {@code N} for a square, or {@code MxKxN} with an
 * optional {@code :ta} or {@code :tb}: training's three shapes for a layer of 784 inputs and 256
 * units at batch 64 are {@code 64x784x256} (forward), {@code 784x64x256:ta} (weight gradient,
 * Xᵀ dY) and {@code 64x256x784:tb} (input gradient, dY Wᵀ).
 *
 * @param m rows of C
 * @param k the inner dimension
 * @param n columns of C
 * @param transA whether A is stored k x m and read transposed
 * @param transB whether B is stored n x k and read transposed
 */
record GemmShape(int m, int k, int n, boolean transA, boolean transB) {
    /** Largest dimension accepted, so three matrices stay addressable by int. */
    static final int MAX = 32768;

    static GemmShape parse(String text) {
        String t = text.trim();
        String bad = "--gemm takes N or MxKxN[:ta|:tb] with dimensions in [1, " + MAX + "], got '" + text + "'";
        boolean ta = t.endsWith(":ta"), tb = t.endsWith(":tb");
        if (ta || tb) {
            t = t.substring(0, t.length() - 3);
        }
        String[] parts = t.split("x", -1);
        if (parts.length != 1 && parts.length != 3) {
            throw new IllegalArgumentException(bad);
        }
        int[] d = new int[parts.length];
        for (int i = 0; i < d.length; i++) {
            try {
                d[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(bad);
            }
            if (d[i] < 1 || d[i] > MAX) {
                throw new IllegalArgumentException(bad);
            }
        }
        if (d.length == 1 && (ta || tb)) {
            throw new IllegalArgumentException(bad);
        }
        return d.length == 1 ? new GemmShape(d[0], d[0], d[0], false, false) : new GemmShape(d[0], d[1], d[2], ta, tb);
    }

    boolean isSquare() {
        return m == k && k == n && !transA && !transB;
    }

    /** Bytes of A, B and C. */
    long bytes() {
        return 4L * ((long) m * k + (long) k * n + (long) m * n);
    }

    /** {@code 1024^3}, or {@code 784x64x256:ta} as given. */
    String label() {
        return isSquare() ? m + "^3" : m + "x" + k + "x" + n + (transA ? ":ta" : transB ? ":tb" : "");
    }
}
