package dev.descent.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;

/**
 * A {@code local-cluster[N,1,MB]} master: N executor JVMs of one core each, started from the
 * Spark distribution the pom assembles out of Maven's copies (target/spark-home, which
 * {@code SPARK_HOME} must name), with descent and this module's classes on their class path.
 * Maven's test run and {@code spark/run-class.sh} set the environment it needs.
 */
final class LocalCluster {
    private LocalCluster() {}

    /**
     * @param executors executor JVMs
     * @param megabytes heap of each
     * @return the configuration, without an application name
     */
    static SparkConf conf(int executors, int megabytes) {
        String classes = System.getProperty("descent.executor.classpath");
        String file = System.getProperty("descent.executor.classpath.file");
        if (classes == null || file == null || System.getenv("SPARK_HOME") == null) {
            throw new IllegalStateException("run through Maven or spark/run-class.sh: they set SPARK_HOME and the"
                    + " executor class path (descent.executor.classpath, descent.executor.classpath.file)");
        }
        try {
            String dependencies = Files.readString(Path.of(file)).trim();
            return new SparkConf().setMaster("local-cluster[" + executors + ",1," + megabytes + "]")
                    .set("spark.executor.extraClassPath", classes + File.pathSeparator + dependencies)
                    // descent's CPU GEMM uses the Vector API, as in the driver JVM.
                    .set("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the executor class path " + file, e);
        }
    }
}
