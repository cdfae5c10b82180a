package dev.descent.spark;

import dev.descent.Checkpoint;
import dev.descent.Predictor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Option;

/**
 * A trained descent network as a Spark ML model. {@link #transform} predicts on the executors,
 * a partition at a time in batches through a {@link Predictor} on the task's device, adding the
 * raw prediction (the network's logits), probability (their softmax) and prediction columns.
 * Saved with {@code write().save(path)}: Spark's params metadata plus the model as a descent
 * checkpoint at {@code path/data/model.ckpt}, which {@code descent evaluate}, {@code predict}
 * and {@code export} read as they read any checkpoint.
 */
public final class DescentClassificationModel
        extends ProbabilisticClassificationModel<Vector, DescentClassificationModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    /** Where in a saved model's directory the checkpoint is. */
    public static final String CHECKPOINT_PATH = "data/model.ckpt";

    // Assigned by uid() during the superclass constructor (see StageIds): no initializer here.
    private String uid;
    /** The trained state in descent's checkpoint format: what ships to executors and what is saved. */
    private final byte[] checkpoint;
    private final int inputs;
    private final int outputs;
    private final Param<String> backend = new Param<>(this, "backend",
            "backend predicting tasks open when Spark gave them no GPU: cpu, opencl or cuda");
    private transient Predictor local;

    DescentClassificationModel(String uid, byte[] checkpoint) {
        this(StageIds.give(uid), checkpoint, Checkpoint.fromBytes(checkpoint, "model " + uid));
    }

    private DescentClassificationModel(String given, byte[] checkpoint, Checkpoint decoded) {
        uid();
        this.checkpoint = checkpoint;
        this.inputs = decoded.model().inputWidth();
        this.outputs = decoded.model().outputWidth();
        setDefault(backend, "cpu");
    }

    @Override
    public String uid() {
        if (uid == null) {
            uid = StageIds.take("descentClassificationModel");
        }
        return uid;
    }

    /** @return the backend param */
    public Param<String> backend() {
        return backend;
    }

    /** @param v backend name for tasks without a GPU @return this */
    public DescentClassificationModel setBackend(String v) {
        return (DescentClassificationModel) set(backend, v);
    }

    /** @return the trained network with its optimizer state, as descent's checkpoint */
    public Checkpoint checkpoint() {
        return Checkpoint.fromBytes(checkpoint, "model " + uid());
    }

    /**
     * Spark's training-summary hook, declared by two superclasses with Scala-covariant types that
     * Java sees as a clash; this model has no training summary.
     *
     * @return Spark's answer for this model
     */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public scala.Tuple3 findSummaryModel() {
        return super.findSummaryModel();
    }

    @Override
    public int numClasses() {
        return outputs;
    }

    @Override
    public int numFeatures() {
        return inputs;
    }

    /** One row's logits, on the driver's CPU (transform batches on the executors instead). */
    @Override
    public synchronized Vector predictRaw(Vector features) {
        if (local == null) {
            local = Predictor.open(checkpoint(), dev.descent.Backends.open("cpu"), 1);
        }
        return Vectors.dense(toDoubles(local.outputs(BatchPrediction.floats(features, inputs), 1)));
    }

    @Override
    public Vector raw2probabilityInPlace(Vector raw) {
        if (!(raw instanceof DenseVector dense)) {
            throw new IllegalArgumentException("raw predictions are dense vectors, got " + raw.getClass().getSimpleName());
        }
        BatchPrediction.softmaxInPlace(dense.values());
        return dense;
    }

    /** Predicts every row on the executors, a partition at a time, in batches. */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return BatchPrediction.transform(this, dataset, getOrDefault(backend));
    }

    /**
     * This model taking raw features: the checkpoint records the normalisation its training data
     * had and the class names, as {@code descent train} records them, so the descent CLI and
     * {@link Predictor} normalise as training did. Its transform then takes raw features too.
     *
     * @param normalization the per-feature shift and scale training applied
     * @param labels class names by index, or empty
     * @return the new model, with this one's params
     */
    public DescentClassificationModel withData(dev.descent.data.Normalization normalization, java.util.List<String> labels) {
        byte[] bytes = checkpoint().withData(normalization, labels).toBytes();
        return copyValues(new DescentClassificationModel(uid(), bytes), ParamMap.empty()).setParent(parent());
    }

    @Override
    public DescentClassificationModel copy(ParamMap extra) {
        DescentClassificationModel copy = new DescentClassificationModel(uid(), checkpoint);
        return copyValues(copy, extra).setParent(parent());
    }

    @Override
    public MLWriter write() {
        DescentClassificationModel model = this;
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                DefaultParamsWriter.saveMetadata(model, path, sc(), Option.empty(), Option.empty());
                Path file = new Path(path, CHECKPOINT_PATH);
                try (OutputStream out = file.getFileSystem(sc().hadoopConfiguration()).create(file, false)) {
                    out.write(checkpoint);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + file, e);
                }
            }
        };
    }

    /** @return a reader for models saved with {@code write().save(path)} */
    public static MLReader<DescentClassificationModel> read() {
        return new MLReader<>() {
            @Override
            public DescentClassificationModel load(String path) {
                DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sc(),
                        DescentClassificationModel.class.getName());
                Path file = new Path(path, CHECKPOINT_PATH);
                byte[] bytes;
                try {
                    FileSystem fs = file.getFileSystem(sc().hadoopConfiguration());
                    try (InputStream in = fs.open(file)) {
                        bytes = in.readAllBytes();
                    }
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read the model's checkpoint " + file + ": " + e.getMessage(), e);
                }
                DescentClassificationModel model = new DescentClassificationModel(metadata.uid(), bytes);
                metadata.getAndSetParams(model, Option.empty());
                return model;
            }
        };
    }

    /** @param path where a model was saved @return the model */
    public static DescentClassificationModel load(String path) {
        return read().load(path);
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
