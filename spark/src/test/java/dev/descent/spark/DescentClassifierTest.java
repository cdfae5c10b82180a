package dev.descent.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.Predictor;
import dev.descent.optim.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML face: {@link DescentClassifier} fits in a Pipeline on a DataFrame, its params
 * reach the optimizer, the model predicts on the executors exactly what a descent Predictor
 * predicts from the same checkpoint, and save/load round-trips through a descent checkpoint.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DescentClassifierTest {
    /** Softmax in double from the same float logits: only the last bits may differ. */
    private static final double SAME_PROBABILITY = 1e-12;
    private static final int FEATURES = 10, CLASSES = 4;

    private SparkSession spark;
    private Dataset<Row> train;
    private Dataset<Row> test;

    @BeforeAll
    void start() {
        spark = SparkSession.builder().master("local[2]").appName("descent-classifier-test")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        train = frame(1000, 1, 2);
        test = frame(300, 2, 3);
    }

    @AfterAll
    void stop() {
        spark.stop();
    }

    private Dataset<Row> frame(int n, long seed, int partitions) {
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = r.nextInt(CLASSES);
            double[] x = new double[FEATURES];
            for (int f = 0; f < FEATURES; f++) {
                x[f] = r.nextGaussian() + (f % CLASSES == label ? 2.0 : 0.0);
            }
            rows.add(RowFactory.create(i, Vectors.dense(x), (double) label));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType)
                .add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    private DescentClassifier classifier() {
        return new DescentClassifier().setHiddenLayers(16).setEpochs(5).setBatchSize(32).setSeed(3).setLearningRate(0.01);
    }

    @Test
    void fitsInAPipelineAndPredictsWhatAPredictorOnTheSameCheckpointPredicts(@TempDir Path dir) throws Exception {
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {classifier()});
        PipelineModel fitted = pipeline.fit(train);
        DescentClassificationModel model = (DescentClassificationModel) fitted.stages()[0];
        assertEquals(CLASSES, model.numClasses());
        assertEquals(FEATURES, model.numFeatures());

        List<Row> out = fitted.transform(test).orderBy("id").collectAsList();
        List<Row> in = test.orderBy("id").collectAsList();
        float[] x = new float[in.size() * FEATURES];
        for (int r = 0; r < in.size(); r++) {
            System.arraycopy(BatchPrediction.floats(in.get(r).getAs("features"), FEATURES), 0, x, r * FEATURES, FEATURES);
        }
        int correct = 0;
        try (Predictor p = Predictor.open(model.checkpoint(), Backends.open("cpu"))) {
            int[] classes = p.classes(x, in.size());
            float[] logits = p.outputs(x, in.size());
            for (int r = 0; r < in.size(); r++) {
                Row row = out.get(r);
                assertEquals(classes[r], row.getDouble(row.fieldIndex("prediction")), "row " + r);
                Vector raw = row.getAs("rawPrediction");
                Vector probability = row.getAs("probability");
                double sum = 0;
                for (int c = 0; c < CLASSES; c++) {
                    assertEquals(logits[r * CLASSES + c], raw.apply(c), 0.0, "logit of row " + r);
                    sum += probability.apply(c);
                }
                assertEquals(1.0, sum, SAME_PROBABILITY);
                assertEquals(model.predictProbability(in.get(r).getAs("features")).apply(classes[r]),
                        probability.apply(classes[r]), SAME_PROBABILITY);
                correct += classes[r] == (int) in.get(r).getDouble(2) ? 1 : 0;
            }
        }
        double accuracy = correct / (double) in.size();
        System.out.println("[spark] DescentClassifier 10-16-4, 2 tasks x 32 rows, 5 epochs: held-out accuracy " + accuracy);
        assertTrue(accuracy > 0.85, "accuracy " + accuracy + " on separable data");

        // The whole pipeline saves and loads; the model's directory holds a descent checkpoint.
        String path = dir.resolve("pipeline").toString();
        fitted.write().save(path);
        PipelineModel loaded = PipelineModel.load(path);
        List<Row> again = loaded.transform(test).orderBy("id").collectAsList();
        for (int r = 0; r < out.size(); r++) {
            assertEquals((Vector) out.get(r).getAs("probability"), (Vector) again.get(r).getAs("probability"));
        }
        Path ckpt = Path.of(path, "stages").toFile().listFiles()[0].toPath().resolve(DescentClassificationModel.CHECKPOINT_PATH);
        assertArrayEquals(model.checkpoint().parameters(), Checkpoint.load(ckpt).parameters());
    }

    @Test
    void paramsReachTheOptimizerAndAWrongOneIsNamed(@TempDir Path dir) throws Exception {
        DescentClassifier sgd = classifier().setOptimizer("sgd").setLearningRate(0.05).setMomentum(0.9).setEpochs(1)
                .setNumTasks(2).setMaxNorm(5);
        DescentClassificationModel model = sgd.fit(train);
        assertEquals(new Sgd(0.05, 0.9, 0, false, 0), model.checkpoint().optimizer());
        assertEquals("1", model.checkpoint().metadata().get("epochs"));

        // The estimator itself saves and loads with its params.
        sgd.write().save(dir.resolve("estimator").toString());
        DescentClassifier back = DescentClassifier.load(dir.resolve("estimator").toString());
        assertEquals(sgd.uid(), back.uid());
        assertEquals(0.9, (Double) back.getOrDefault(back.momentum()));
        assertArrayEquals(new int[] {16}, back.getOrDefault(back.hiddenLayers()));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> classifier().setMomentum(0.9).fit(train));
        assertTrue(e.getMessage().contains("adam has no hyperparameter 'momentum'"), e.getMessage());
    }

    @Test
    void aLabelThatIsNotAClassIndexFailsTheFitNamingIt() {
        Dataset<Row> bad = train.withColumn("label", train.col("label").plus(0.5));
        Exception e = assertThrows(Exception.class, () -> classifier().setNumClasses(CLASSES + 1).fit(bad));
        assertTrue(messageMentioning(e, "not a class index").contains("is not a class index in [0, 5)"), e.getMessage());
    }

    @Test
    void aNonFiniteFeatureFailsTheFitNamingIt() {
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            double[] x = new double[FEATURES];
            x[3] = i == 5 ? Double.NaN : i;
            rows.add(RowFactory.create(Vectors.dense(x), (double) (i % 2)));
        }
        Exception e = assertThrows(Exception.class, () -> classifier().setNumTasks(1).fit(spark.createDataFrame(rows, schema)));
        assertTrue(messageMentioning(e, "feature 3 is NaN").contains("feature 3 is NaN"), e.getMessage());
    }

    /**
     * The message of the first exception in e's cause chain that mentions {@code text} (Spark
     * wraps a task's exception in its own), or of the innermost cause when none does.
     */
    private static String messageMentioning(Throwable e, String text) {
        Throwable cause = e;
        while (cause.getCause() != null && !String.valueOf(cause.getMessage()).contains(text)) {
            cause = cause.getCause();
        }
        return String.valueOf(cause.getMessage());
    }

    @Test
    void anEmptyDatasetFailsTheFitSayingSo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> classifier().fit(train.limit(0)));
        assertTrue(e.getMessage().contains("dataset has no rows"), e.getMessage());
    }

    @Test
    void syncEveryReachesTheTrainingConfiguration() {
        DescentClassifier c = classifier().setSyncEvery(4);
        assertEquals(4, c.config(dev.descent.Model.builder(FEATURES).dense(CLASSES, dev.descent.Activation.IDENTITY).build())
                .syncEvery());
        assertThrows(IllegalArgumentException.class, () -> classifier().setSyncEvery(0));
    }
}
