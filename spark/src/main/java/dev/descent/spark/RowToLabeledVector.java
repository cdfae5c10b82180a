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
        double label = ((Number) row.get(1)).doubleValue();
        if (label != Math.rint(label) || label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " is not a class index in [0, " + classes + ")");
        }
        float[] x = BatchPrediction.floats((Vector) row.get(0), features);
        return new LabeledVector(x, (int) label);
    }
}
