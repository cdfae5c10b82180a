package dev.descent.spark;

import org.apache.spark.api.java.function.Function;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/**
 * A (features, label) row as a {@link LabeledVector}, refusing rows a model cannot train on with
 * a message that names the column and the problem. {@link DataCheck} runs it over every row
 * before training, so the barrier stage never meets a bad row.
 */
final class RowToLabeledVector implements Function<Row, LabeledVector> {
    private static final long serialVersionUID = 2L;
    private final int features;
    private final int classes;
    private final String featuresCol;
    private final String labelCol;

    RowToLabeledVector(int features, int classes, String featuresCol, String labelCol) {
        this.features = features;
        this.classes = classes;
        this.featuresCol = featuresCol;
        this.labelCol = labelCol;
    }

    @Override
    public LabeledVector call(Row row) {
        if (row.isNullAt(0)) {
            throw new IllegalArgumentException("column " + featuresCol + ": null");
        }
        if (row.isNullAt(1)) {
            throw new IllegalArgumentException("column " + labelCol + ": null");
        }
        double label = ((Number) row.get(1)).doubleValue();
        if (label != Math.rint(label) || label < 0 || label >= classes) {
            throw new IllegalArgumentException("column " + labelCol + ": label " + label + " is not a class index in [0, "
                    + classes + ")");
        }
        try {
            return new LabeledVector(BatchPrediction.floats((Vector) row.get(0), features), (int) label);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column " + featuresCol + ": " + e.getMessage(), e);
        }
    }
}
