package dev.descent.data;

import dev.descent.Check;

/**
 * An affine map applied to features, x' = (x - shift) / scale: either one (shift, scale) for all
 * columns (e.g. pixels / 255) or per-column statistics fitted on the training split only, so
 * held-out data never leaks into the normalisation.
 */
public final class Normalization {
    private final float[] shift;
    private final float[] scale;

    private Normalization(float[] shift, float[] scale) {
        this.shift = shift;
        this.scale = scale;
    }

    /** The same map for every column. */
    public static Normalization uniform(double shift, double scale) {
        Check.positive("scale", scale);
        return new Normalization(new float[] {(float) shift}, new float[] {(float) scale});
    }

    /** Per-column standardisation fitted on {@code data}; constant columns get scale 1. */
    public static Normalization standardize(Dataset data) {
        int cols = data.cols();
        double[] mean = new double[cols];
        double[] sq = new double[cols];
        float[] x = data.features();
        for (int r = 0; r < data.rows(); r++) {
            for (int c = 0; c < cols; c++) {
                double v = x[r * cols + c];
                mean[c] += v;
                sq[c] += v * v;
            }
        }
        float[] shift = new float[cols];
        float[] scale = new float[cols];
        for (int c = 0; c < cols; c++) {
            double m = mean[c] / data.rows();
            double var = Math.max(0, sq[c] / data.rows() - m * m);
            shift[c] = (float) m;
            scale[c] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        return new Normalization(shift, scale);
    }

    void apply(float[] x, int cols) {
        if (shift.length != 1 && shift.length != cols) {
            throw new IllegalArgumentException("normalization fitted on " + shift.length + " columns, data has " + cols);
        }
        for (int i = 0; i < x.length; i++) {
            int c = shift.length == 1 ? 0 : i % cols;
            x[i] = (x[i] - shift[c]) / scale[c];
        }
    }
}
