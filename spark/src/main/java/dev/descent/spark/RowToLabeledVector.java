package dev.descent.spark;

import org.apache.spark.api.java.function.Function;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/** A (features, label) row as a {@link LabeledVector}, refusing rows a model cannot train on. */
final class RowToLabeledVector implements Function<Row, LabeledVector> {
    private static final long serialVersionUID = 1L;
    private final int features;
    private final int classes;

    RowToLabeledVector(int features, int classes) {
        this.features = features;
        this.classes = classes;
    }

    @Override
    public LabeledVector call(Row row) {
        if (row.isNullAt(0) || row.isNullAt(1)) {
            throw new IllegalArgumentException("a row has a null features or label value: " + row);
        }
        Vector v = (Vector) row.get(0);
        if (v.size() != features) {
            throw new IllegalArgumentException("a features vector has " + v.size() + " values, the first had " + features);
        }
        double label = ((Number) row.get(1)).doubleValue();
        if (label != Math.rint(label) || label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " is not a class index in [0, " + classes + ")");
        }
        float[] x = new float[features];
        for (int i = 0; i < features; i++) {
            double value = v.apply(i);
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("feature " + i + " is " + value + " in a row labelled " + label);
            }
            x[i] = (float) value;
        }
        return new LabeledVector(x, (int) label);
    }
}
