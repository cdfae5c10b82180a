package dev.descent.spark;

import dev.descent.data.DataSources;
import dev.descent.data.Dataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code descent-spark}: the {@code train} command on Spark, one task per partition (per GPU
 * when Spark assigns them). It reads the same data as {@code descent train} on the driver (the
 * embedded Fashion-MNIST sample, or {@code --data DIR} with the four IDX files), trains a
 * {@link DescentClassifier}, scores the held-out split and, with {@code --out}, saves the Spark
 * model (whose {@code data/model.ckpt} the descent CLI reads).
 *
 * <pre>
 * spark-submit --class dev.descent.spark.SparkMain --master local[2] descent-spark.jar --epochs 5
 * </pre>
 */
public final class SparkMain {
    private static final Map<String, String> FLAGS = new LinkedHashMap<>();

    static {
        FLAGS.put("--master", "Spark master when spark-submit sets none (default local[PARTITIONS])");
        FLAGS.put("--partitions", "training tasks, one per device (default 2)");
        FLAGS.put("--data", "directory with the four Fashion-MNIST/MNIST IDX files (default: the embedded sample)");
        FLAGS.put("--epochs", "passes over the data (default 10)");
        FLAGS.put("--batch-size", "rows per task per step; the global batch is this times --partitions (default 64)");
        FLAGS.put("--hidden", "hidden layer widths, comma-separated (default 128)");
        FLAGS.put("--activation", "relu, tanh, sigmoid, gelu, leaky_relu (default relu)");
        FLAGS.put("--optimizer", "sgd, adam, adamw, adagrad, rmsprop, adadelta, nadam, radam (default adam)");
        FLAGS.put("--lr", "learning rate (default: the optimizer's PyTorch default; sgd 0.01)");
        FLAGS.put("--momentum", "sgd / rmsprop momentum");
        FLAGS.put("--weight-decay", "weight decay");
        FLAGS.put("--beta1", "adam-family beta1");
        FLAGS.put("--beta2", "adam-family beta2");
        FLAGS.put("--schedule", "constant, step:EPOCHS:GAMMA, exp:GAMMA, cosine[:MIN_FACTOR] (default constant)");
        FLAGS.put("--clip-norm", "clip the global gradient to this L2 norm (0: off)");
        FLAGS.put("--clip-value", "clamp each gradient element to +-value (0: off)");
        FLAGS.put("--seed", "seed (default 42)");
        FLAGS.put("--backend", "backend of tasks Spark gave no GPU: cpu, opencl, cuda (default cpu)");
        FLAGS.put("--sync", "ring (direct TCP between tasks) or barrier (Spark's allGather) (default ring)");
        FLAGS.put("--sync-every", "1: average gradients every step; K > 1: average parameters every K steps (default 1)");
        FLAGS.put("--checkpoint-dir", "shared directory for the last epoch's checkpoint; a rerun stage resumes there");
        FLAGS.put("--out", "save the trained Spark model to this path");
    }

    private SparkMain() {}

    /**
     * Runs training; exits with status 2 and the reason on bad flags.
     *
     * @param args flags as {@code --name value}; {@code --help} lists them
     */
    public static void main(String[] args) {
        Map<String, String> options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("descent-spark: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.containsKey("--help")) {
            System.out.println("usage: descent-spark [--name value]...");
            FLAGS.forEach((k, v) -> System.out.printf("  %-16s %s%n", k, v));
            return;
        }
        run(options);
        // Spark's barrier-task timer thread is not a daemon; in local mode it would keep the JVM alive.
        System.exit(0);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                out.put("--help", "");
                continue;
            }
            if (!FLAGS.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option '" + args[i] + "' (--help lists them)");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            out.put(args[i], args[++i]);
        }
        return out;
    }

    /** Trains and scores as the options say; returns the held-out accuracy. */
    static double run(Map<String, String> o) {
        int partitions = intFlag(o, "--partitions", 2);
        SparkSession.Builder builder = SparkSession.builder().appName("descent-spark");
        if (o.containsKey("--master") || !System.getProperties().containsKey("spark.master")) {
            builder.master(o.getOrDefault("--master", "local[" + partitions + "]"));
        }
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            DataSources.Split raw = o.containsKey("--data") ? DataSources.idxDirectory(Path.of(o.get("--data")))
                    : DataSources.embedded();
            DataSources.Split split = raw.normalized();
            DescentClassifier classifier = classifier(o).setNumTasks(partitions);
            System.out.println("data: " + split.description() + "; " + partitions + " tasks x "
                    + classifier.getOrDefault(classifier.batchSize()) + " rows per step");
            long start = System.nanoTime();
            // Trained on normalised rows; the model keeps the normalisation (as descent train's
            // checkpoints do), so it takes raw rows, like the descent CLI.
            DescentClassificationModel model = classifier.fit(frame(spark, split.train(), partitions))
                    .withData(raw.normalization(), raw.labels());
            double seconds = (System.nanoTime() - start) / 1e9;
            int epochs = (Integer) classifier.getOrDefault(classifier.epochs());
            System.out.printf("trained %d epochs in %.1f s (%.0f samples/s, Spark job included)%n", epochs, seconds,
                    (double) epochs * split.train().rows() / seconds);
            double accuracy = accuracy(model, frame(spark, raw.heldOut(), partitions));
            System.out.printf("held-out accuracy: %.4f (%d rows)%n", accuracy, split.heldOut().rows());
            if (o.containsKey("--out")) {
                try {
                    model.write().overwrite().save(o.get("--out"));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot save the model to " + o.get("--out"), e);
                }
                System.out.println("model: " + o.get("--out") + " (descent checkpoint: " + o.get("--out") + "/"
                        + DescentClassificationModel.CHECKPOINT_PATH + ")");
            }
            return accuracy;
        } finally {
            spark.stop();
        }
    }

    static DescentClassifier classifier(Map<String, String> o) {
        DescentClassifier c = new DescentClassifier()
                .setEpochs(intFlag(o, "--epochs", 10))
                .setBatchSize(intFlag(o, "--batch-size", 64))
                .setHiddenLayers(hidden(o.getOrDefault("--hidden", "128")))
                .setActivation(o.getOrDefault("--activation", "relu"))
                .setOptimizer(o.getOrDefault("--optimizer", "adam"))
                .setSchedule(o.getOrDefault("--schedule", "constant"))
                .setMaxNorm(doubleFlag(o, "--clip-norm", 0))
                .setClipValue(doubleFlag(o, "--clip-value", 0))
                .setSeed(Long.parseLong(o.getOrDefault("--seed", "42")))
                .setBackend(o.getOrDefault("--backend", "cpu"))
                .setSyncMode(o.getOrDefault("--sync", "ring"))
                .setSyncEvery(intFlag(o, "--sync-every", 1))
                .setCheckpointDir(o.getOrDefault("--checkpoint-dir", ""));
        if (o.containsKey("--lr")) {
            c.setLearningRate(doubleFlag(o, "--lr", 0));
        }
        if (o.containsKey("--momentum")) {
            c.setMomentum(doubleFlag(o, "--momentum", 0));
        }
        if (o.containsKey("--weight-decay")) {
            c.setWeightDecay(doubleFlag(o, "--weight-decay", 0));
        }
        if (o.containsKey("--beta1")) {
            c.setBeta1(doubleFlag(o, "--beta1", 0));
        }
        if (o.containsKey("--beta2")) {
            c.setBeta2(doubleFlag(o, "--beta2", 0));
        }
        return c;
    }

    /** The rows of a descent dataset as a (features, label) DataFrame in {@code partitions} contiguous slices. */
    static org.apache.spark.sql.Dataset<Row> frame(SparkSession spark, Dataset data, int partitions) {
        List<Row> rows = new ArrayList<>(data.rows());
        float[] x = data.features();
        float[] y = data.targets();
        int cols = data.cols();
        for (int r = 0; r < data.rows(); r++) {
            double[] v = new double[cols];
            for (int c = 0; c < cols; c++) {
                v[c] = x[r * cols + c];
            }
            rows.add(RowFactory.create(Vectors.dense(v), (double) y[r]));
        }
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        return spark.createDataFrame(new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext())
                .parallelize(rows, partitions), schema);
    }

    static double accuracy(DescentClassificationModel model, org.apache.spark.sql.Dataset<Row> data) {
        long correct = model.transform(data).filter("prediction = label").count();
        return correct / (double) data.count();
    }

    private static int[] hidden(String text) {
        String[] parts = text.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--hidden must be widths like 256,128, got '" + text + "'");
            }
        }
        return out;
    }

    private static int intFlag(Map<String, String> o, String name, int fallback) {
        return number(o, name, "an integer", fallback, Integer::parseInt);
    }

    private static double doubleFlag(Map<String, String> o, String name, double fallback) {
        return number(o, name, "a number", fallback, Double::parseDouble);
    }

    private static <T> T number(Map<String, String> o, String name, String kind, T fallback,
                                java.util.function.Function<String, T> parse) {
        String text = o.get(name);
        try {
            return text == null ? fallback : parse.apply(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be " + kind + ", got '" + text + "'");
        }
    }
}
