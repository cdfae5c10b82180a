package dev.descent.spark;

import dev.descent.data.DataSources;
import java.nio.file.Path;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Time to accuracy in local[2]: descent's {@link DescentClassifier} (2 tasks x 64 rows, Adam
 * 1e-3, constant rate and cosine decay) after 1-10 epochs against MLlib's
 * {@code MultilayerPerceptronClassifier} (L-BFGS, full batch) after 25-100 iterations, the same
 * 784-128-10 network (MLlib's hidden layers are sigmoid) on the same normalised, cached
 * DataFrames. An untimed one-epoch descent fit runs first, so descent's first timed row does not
 * include the JVM's warm-up. Prints a markdown table; run with
 * {@code bash benchmarks/spark/mllib.sh [IDX-DIR]} (default: the embedded sample).
 */
public final class MllibComparison {
    private MllibComparison() {}

    /** @param args [directory with the four IDX files] */
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("descent-vs-mllib")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        DataSources.Split raw = args.length > 0 ? DataSources.idxDirectory(Path.of(args[0])) : DataSources.embedded();
        DataSources.Split split = raw.normalized();
        System.out.println("data: " + split.description());
        Dataset<Row> train = SparkMain.frame(spark, split.train(), 2).cache();
        Dataset<Row> test = SparkMain.frame(spark, split.heldOut(), 2).cache();
        train.count();
        test.count();
        descent(train, 1, "constant"); // warm-up, not reported
        System.out.println("| trainer | budget | seconds | held-out accuracy |");
        System.out.println("|---|---:|---:|---:|");
        for (String schedule : new String[] {"constant", "cosine"}) {
            for (int epochs : new int[] {1, 2, 3, 5, 10}) {
                long start = System.nanoTime();
                DescentClassificationModel m = descent(train, epochs, schedule);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("| descent, 2 tasks x 64, Adam, %s rate | %d epochs | %.1f | %.4f |%n", schedule,
                        epochs, seconds, SparkMain.accuracy(m, test));
            }
        }
        for (int iterations : new int[] {25, 50, 100}) {
            long start = System.nanoTime();
            MultilayerPerceptronClassificationModel m = new MultilayerPerceptronClassifier()
                    .setLayers(new int[] {split.train().cols(), 128, 10}).setMaxIter(iterations).setSeed(1L).setTol(0)
                    .fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            long correct = m.transform(test).filter("prediction = label").count();
            System.out.printf("| MLlib MultilayerPerceptronClassifier, L-BFGS | %d iterations | %.1f | %.4f |%n",
                    iterations, seconds, correct / (double) test.count());
        }
        spark.stop();
        System.exit(0);
    }

    private static DescentClassificationModel descent(Dataset<Row> train, int epochs, String schedule) {
        return new DescentClassifier().setHiddenLayers(128).setEpochs(epochs).setBatchSize(64).setLearningRate(1e-3)
                .setSchedule(schedule).setSeed(1).setNumTasks(2).fit(train);
    }
}
