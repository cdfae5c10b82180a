package dev.descent.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.Model;
import dev.descent.optim.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A deterministic data error fails the fit once, on the driver, before the barrier stage: one
 * IllegalArgumentException naming the column, the problem and the row, no task failed, no stage
 * rerun. (Before, a NaN feature failed the barrier stage four times and reached the driver as
 * "barrier task ... finished unsuccessfully", with no word of NaN, column or row.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadDataTest {
    private static final int FEATURES = 6;
    private SparkSession spark;
    private final AtomicInteger failedTasks = new AtomicInteger();
    private final AtomicInteger stageAttempts = new AtomicInteger();

    /** Two task slots in this JVM; {@link LocalClusterBadDataTest} runs the same cases across JVMs. */
    SparkConf conf() {
        return new SparkConf().setMaster("local[2]");
    }

    @BeforeAll
    void start() {
        spark = SparkSession.builder().config(conf().setAppName("descent-bad-data-test").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")).getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failedTasks.incrementAndGet();
                }
            }

            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
                if (submitted.stageInfo().attemptNumber() > 0) {
                    stageAttempts.incrementAndGet();
                }
            }
        });
    }

    @AfterAll
    void stop() {
        spark.stop();
    }

    @BeforeEach
    void resetCounts() {
        failedTasks.set(0);
        stageAttempts.set(0);
    }

    /** 40 good rows over two partitions, with row {@code bad} (of all 40) replaced by {@code badRow}. */
    private Dataset<Row> frame(int bad, Row badRow) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double[] x = new double[FEATURES];
            for (int f = 0; f < FEATURES; f++) {
                x[f] = i * 0.1 + f;
            }
            rows.add(i == bad ? badRow : RowFactory.create(Vectors.dense(x), (double) (i % 3)));
        }
        StructType schema = new StructType().add("pixels", SQLDataTypes.VectorType()).add("y", DataTypes.DoubleType);
        return spark.createDataFrame(rows, schema).coalesce(2);
    }

    private void failsOnceNaming(Dataset<Row> data, String... parts) {
        DescentClassifier c = new DescentClassifier().setFeaturesCol("pixels").setLabelCol("y").setNumClasses(3)
                .setHiddenLayers(4).setEpochs(1).setBatchSize(8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.fit(data));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
        assertEquals(0, failedTasks.get(), "tasks failed: the error reached a task instead of the check");
        assertEquals(0, stageAttempts.get(), "a stage was rerun");
        System.out.println("[spark] " + spark.sparkContext().master() + ": " + e.getMessage());
    }

    @Test
    void aNanFeatureFailsOnceNamingTheColumnTheFeatureAndTheRow() {
        double[] x = new double[FEATURES];
        x[3] = Double.NaN;
        failsOnceNaming(frame(27, RowFactory.create(Vectors.dense(x), 1.0)), "column pixels: feature 3 is NaN",
                "(row 7 of partition 1)");
    }

    @Test
    void anInfiniteFeatureLabelOutOfRangeWrongLengthAndNullEachFailOnce() {
        double[] x = new double[FEATURES];
        x[0] = Double.POSITIVE_INFINITY;
        failsOnceNaming(frame(2, RowFactory.create(Vectors.dense(x), 1.0)), "column pixels: feature 0 is Infinity",
                "(row 2 of partition 0)");
        failsOnceNaming(frame(5, RowFactory.create(Vectors.dense(new double[FEATURES]), 3.0)),
                "column y: label 3.0 is not a class index in [0, 3)", "(row 5 of partition 0)");
        failsOnceNaming(frame(30, RowFactory.create(Vectors.dense(new double[FEATURES + 1]), 1.0)),
                "column pixels: features has 7 values, the model takes 6", "(row 10 of partition 1)");
        failsOnceNaming(frame(39, RowFactory.create(Vectors.dense(new double[FEATURES]), null)), "column y: null",
                "(row 19 of partition 1)");
    }

    /** DataParallel.fit, the API under the estimator, checks its LabeledVectors the same way. */
    @Test
    void dataParallelFitChecksItsRowsToo() {
        List<LabeledVector> rows = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            float[] x = new float[FEATURES];
            x[1] = i == 11 ? Float.NaN : i;
            rows.add(new LabeledVector(x, i % 2));
        }
        Model model = Model.builder(FEATURES).dense(4, Activation.RELU).dense(2, Activation.IDENTITY).build();
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataParallel.fit(
                context.parallelize(rows, 2), TrainingConfig.of(model, Adam.adam(0.01), 1, 4, 0.01f, 1)));
        assertTrue(e.getMessage().contains("feature 1 is NaN (row 3 of partition 1)"), e.getMessage());
        assertEquals(0, failedTasks.get());
    }
}
