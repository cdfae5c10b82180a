package dev.descent.spark;

import dev.descent.Backend;
import dev.descent.Checkpoint;
import dev.descent.Predictor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@link DescentClassificationModel#transform}: each partition opens one {@link Predictor} on its
 * task's device and runs the network over its rows {@value #BATCH} at a time, instead of one
 * forward pass per row as Spark's per-row prediction would.
 */
final class BatchPrediction implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    static final int BATCH = 1024;

    private final DescentClassificationModel model;
    private final String backend;
    private final int featuresIndex;
    private final boolean raw, probability, prediction;

    private BatchPrediction(DescentClassificationModel model, String backend, int featuresIndex, boolean raw,
                            boolean probability, boolean prediction) {
        this.model = model;
        this.backend = backend;
        this.featuresIndex = featuresIndex;
        this.raw = raw;
        this.probability = probability;
        this.prediction = prediction;
    }

    /** The input's columns, then raw prediction, probability and prediction (each unless its name is empty). */
    static Dataset<Row> transform(DescentClassificationModel model, Dataset<?> dataset, String backend) {
        Dataset<Row> df = dataset.toDF();
        StructType spark = model.transformSchema(df.schema());
        StructType out = df.schema();
        boolean raw = !model.getRawPredictionCol().isEmpty();
        boolean probability = !model.getProbabilityCol().isEmpty();
        boolean prediction = !model.getPredictionCol().isEmpty();
        for (String name : new String[] {raw ? model.getRawPredictionCol() : "",
                probability ? model.getProbabilityCol() : "", prediction ? model.getPredictionCol() : ""}) {
            if (!name.isEmpty()) {
                StructField field = spark.apply(name);
                out = out.add(field);
            }
        }
        int featuresIndex = df.schema().fieldIndex(model.getFeaturesCol());
        JavaRDD<Row> rows = df.javaRDD().mapPartitions(
                new BatchPrediction(model, backend, featuresIndex, raw, probability, prediction));
        return df.sparkSession().createDataFrame(rows, out);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        Checkpoint checkpoint = model.checkpoint();
        Backend device = TaskBackends.open(backend, TaskContext.get());
        Predictor predictor;
        try {
            predictor = Predictor.open(checkpoint, device, BATCH);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
        Runnable close = () -> {
            predictor.close();
            device.close();
        };
        if (TaskContext.get() != null) {
            // Also on failure or an abandoned iterator.
            TaskContext.get().addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> close.run());
        }
        return new Iterator<>() {
            private final List<Row> ready = new ArrayList<>();
            private int next;
            private boolean closed;

            @Override
            public boolean hasNext() {
                if (next < ready.size()) {
                    return true;
                }
                ready.clear();
                next = 0;
                if (!closed && input.hasNext()) {
                    predictBatch(input, predictor, ready);
                }
                if (ready.isEmpty() && !closed) {
                    closed = true;
                    close.run();
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.get(next++);
            }
        };
    }

    private void predictBatch(Iterator<Row> input, Predictor predictor, List<Row> out) {
        int width = model.numFeatures(), classes = model.numClasses();
        List<Row> batch = new ArrayList<>(BATCH);
        float[] x = new float[BATCH * width];
        while (batch.size() < BATCH && input.hasNext()) {
            Row row = input.next();
            if (row.isNullAt(featuresIndex)) {
                throw new IllegalArgumentException("a row has no features: " + row);
            }
            System.arraycopy(floats((Vector) row.get(featuresIndex), width), 0, x, batch.size() * width, width);
            batch.add(row);
        }
        float[] logits = predictor.outputs(batch.size() == BATCH ? x : java.util.Arrays.copyOf(x, batch.size() * width),
                batch.size());
        for (int r = 0; r < batch.size(); r++) {
            double[] z = new double[classes];
            for (int c = 0; c < classes; c++) {
                z[c] = logits[r * classes + c];
            }
            double[] p = z.clone();
            softmaxInPlace(p);
            Object[] values = new Object[batch.get(r).length() + 3];
            int k = 0;
            for (; k < batch.get(r).length(); k++) {
                values[k] = batch.get(r).get(k);
            }
            DenseVector probabilities = new DenseVector(p);
            if (raw) {
                values[k++] = new DenseVector(z);
            }
            if (probability) {
                values[k++] = probabilities;
            }
            if (prediction) {
                // Spark's own rule: argmax, or argmax of probability / threshold when thresholds are set.
                values[k++] = model.probability2prediction(probabilities);
            }
            out.add(RowFactory.create(java.util.Arrays.copyOf(values, k)));
        }
    }

    /** A features vector as floats, refusing a wrong width or a non-finite value. */
    static float[] floats(Vector v, int width) {
        if (v.size() != width) {
            throw new IllegalArgumentException("features has " + v.size() + " values, the model takes " + width);
        }
        float[] x = new float[width];
        for (int i = 0; i < width; i++) {
            double value = v.apply(i);
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("feature " + i + " is " + value);
            }
            x[i] = (float) value;
        }
        return x;
    }

    /** Softmax computed in double after subtracting the maximum, so no logit overflows. */
    static void softmaxInPlace(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            z[i] = Math.exp(z[i] - max);
            sum += z[i];
        }
        for (int i = 0; i < z.length; i++) {
            z[i] /= sum;
        }
    }
}
