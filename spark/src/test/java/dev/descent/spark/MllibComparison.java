package dev.descent.spark;

import dev.descent.data.DataSources;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Time to accuracy on the embedded Fashion-MNIST sample in local[2]: descent's
 * {@link DescentClassifier} (2 tasks x 64 rows, Adam 1e-3) after 1-5 epochs against MLlib's
 * {@code MultilayerPerceptronClassifier} (L-BFGS, full batch) after 25-200 iterations, the same
 * 784-128-10 network (MLlib's hidden layers are sigmoid) on the same normalised DataFrames.
 * Prints a markdown table; run with {@code bash benchmarks/spark/mllib.sh}.
 */
public final class MllibComparison {
    private MllibComparison() {}

    /** @param args unused */
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("descent-vs-mllib")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        DataSources.Split split = DataSources.embedded().normalized();
        Dataset<Row> train = SparkMain.frame(spark, split.train(), 2).cache();
        Dataset<Row> test = SparkMain.frame(spark, split.heldOut(), 2).cache();
        train.count();
        test.count();
        System.out.println("| trainer | budget | seconds | held-out accuracy |");
        System.out.println("|---|---:|---:|---:|");
        for (int epochs : new int[] {1, 2, 3, 5}) {
            long start = System.nanoTime();
            DescentClassificationModel m = new DescentClassifier().setHiddenLayers(128).setEpochs(epochs)
                    .setBatchSize(64).setLearningRate(1e-3).setSeed(1).setNumTasks(2).fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("| descent, 2 tasks x 64, Adam | %d epochs | %.1f | %.4f |%n", epochs, seconds,
                    SparkMain.accuracy(m, test));
        }
        for (int iterations : new int[] {25, 50, 100, 200}) {
            long start = System.nanoTime();
            MultilayerPerceptronClassificationModel m = new MultilayerPerceptronClassifier()
                    .setLayers(new int[] {784, 128, 10}).setMaxIter(iterations).setSeed(1L).setTol(0).fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            long correct = m.transform(test).filter("prediction = label").count();
            System.out.printf("| MLlib MultilayerPerceptronClassifier, L-BFGS | %d iterations | %.1f | %.4f |%n",
                    iterations, seconds, correct / (double) test.count());
        }
        spark.stop();
        System.exit(0);
    }
}
