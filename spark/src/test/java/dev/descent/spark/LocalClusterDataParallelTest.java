package dev.descent.spark;

import org.apache.spark.SparkConf;

/**
 * Every {@link DataParallelTest} case in {@code local-cluster[2,1,1024]}: two executor JVMs of
 * one core each, so the two tasks are separate processes that reach each other over TCP, as on a
 * cluster, and the killed task's rerun may land in either JVM.
 */
class LocalClusterDataParallelTest extends DataParallelTest {
    @Override
    SparkConf conf() {
        return LocalCluster.conf(2, 1024);
    }
}
