package dev.descent.spark;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;

/**
 * Every row checked before the barrier stage, in an ordinary Spark job whose tasks report a bad
 * row as data instead of failing. A deterministic data error (NaN, infinity, a label out of
 * range, a vector of the wrong length) thrown inside the barrier stage would fail it, and Spark
 * reruns a failed barrier stage up to 4 times and then reports only "barrier task ... finished
 * unsuccessfully"; here it fails once, on the driver, with the column, the problem and the row.
 * It costs one pass over the data.
 */
final class DataCheck {
    private DataCheck() {}

    /**
     * Throws an IllegalArgumentException naming the first bad row's problem and where it is,
     * when {@code convert} refuses any row of {@code data}.
     */
    static <T> void everyRow(JavaRDD<T> data, Function<T, ?> convert) {
        Function2<Integer, Iterator<T>, Iterator<String>> firstProblem = (partition, rows) -> {
            long index = 0;
            while (rows.hasNext()) {
                T row = rows.next();
                try {
                    convert.call(row);
                } catch (IllegalArgumentException bad) {
                    return List.of(bad.getMessage() + " (row " + index + " of partition " + partition + ")").iterator();
                }
                index++;
            }
            return Collections.emptyIterator();
        };
        List<String> problems = data.mapPartitionsWithIndex(firstProblem, false).take(1);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot train on this data: " + problems.get(0));
        }
    }

    /** A {@link LabeledVector}'s problem for a model of {@code width} inputs and {@code classes} outputs, as a check. */
    static Function<LabeledVector, Void> vectors(int width, int classes) {
        return v -> {
            float[] x = v.features();
            if (x == null || x.length != width) {
                throw new IllegalArgumentException("features has " + (x == null ? "no" : Integer.toString(x.length))
                        + " values, the model takes " + width);
            }
            for (int i = 0; i < width; i++) {
                if (!Float.isFinite(x[i])) {
                    throw new IllegalArgumentException("feature " + i + " is " + x[i]);
                }
            }
            if (v.label() < 0 || v.label() >= classes) {
                throw new IllegalArgumentException("label " + v.label() + " is not a class index in [0, " + classes + ")");
            }
            return null;
        };
    }
}
