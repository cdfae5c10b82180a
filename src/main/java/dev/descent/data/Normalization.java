package dev.descent.data;

import dev.descent.internal.Check;

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

    /**
     * The same map for every column.
     *
     * @param shift subtracted from every value
     * @param scale then divided into it, positive
     * @return the normalization
     */
    public static Normalization uniform(double shift, double scale) {
        Check.positive("scale", scale);
        return new Normalization(new float[] {(float) shift}, new float[] {(float) scale});
    }

    /**
     * A stored map: {@code shift} and {@code scale} of equal length, one entry (every column) or one
     * per column; scales must be positive and everything finite.
     *
     * @param shift per-column shifts, or one for all
     * @param scale per-column scales, or one for all
     * @return the normalization
     */
    public static Normalization of(float[] shift, float[] scale) {
        if (shift.length == 0 || shift.length != scale.length) {
            throw new IllegalArgumentException("normalization needs as many shifts as scales (at least one), got "
                    + shift.length + " and " + scale.length);
        }
        Check.finite("normalization shift", shift);
        Check.finite("normalization scale", scale);
        for (int c = 0; c < scale.length; c++) {
            if (!(scale[c] > 0)) {
                throw new IllegalArgumentException("normalization scale of column " + c + " is " + scale[c]
                        + "; must be > 0");
            }
        }
        return new Normalization(shift.clone(), scale.clone());
    }

    /**
     * How many columns the map has entries for.
     *
     * @return 1 when one map serves every column, otherwise the column count
     */
    public int width() {
        return shift.length;
    }

    /**
     * The shifts.
     *
     * @return a copy
     */
    public float[] shift() {
        return shift.clone();
    }

    /**
     * The scales.
     *
     * @return a copy
     */
    public float[] scale() {
        return scale.clone();
    }

    /**
     * A normalised copy of the rows in {@code x}.
     *
     * @param x rows of {@code cols} values
     * @param cols values per row
     * @return the normalised copy
     */
    public float[] applied(float[] x, int cols) {
        float[] copy = x.clone();
        apply(copy, cols);
        return copy;
    }

    /**
     * Per-column standardisation fitted on {@code data}; constant columns get scale 1.
     *
     * @param data the training rows
     * @return mean as shift, standard deviation as scale
     */
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
