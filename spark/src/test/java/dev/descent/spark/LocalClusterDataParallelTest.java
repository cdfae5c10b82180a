package dev.descent.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;

/**
 * Every {@link DataParallelTest} case in {@code local-cluster[2,1,1024]}: two executor JVMs of
 * one core each, so the two tasks are separate processes that reach each other over TCP, as on a
 * cluster, and the killed task's rerun may land in either JVM. The pom assembles the Spark
 * distribution these executors start from (target/spark-home) and the class path they need.
 */
class LocalClusterDataParallelTest extends DataParallelTest {
    @Override
    SparkConf conf() {
        String classes = System.getProperty("descent.executor.classpath");
        String file = System.getProperty("descent.executor.classpath.file");
        if (classes == null || file == null || System.getenv("SPARK_HOME") == null) {
            throw new IllegalStateException("run through Maven: the pom sets SPARK_HOME and the executor class path");
        }
        try {
            String dependencies = Files.readString(Path.of(file)).trim();
            return new SparkConf().setMaster("local-cluster[2,1,1024]")
                    .set("spark.executor.extraClassPath", classes + java.io.File.pathSeparator + dependencies)
                    // descent's CPU GEMM uses the Vector API, as in the test JVM.
                    .set("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the executor class path " + file, e);
        }
    }
}
