package dev.descent.spark;

import org.apache.spark.SparkConf;

/** {@link BadDataTest} in {@code local-cluster[2,1,1024]}, where a failed task would be retried up to 4 times. */
class LocalClusterBadDataTest extends BadDataTest {
    @Override
    SparkConf conf() {
        return LocalCluster.conf(2, 1024);
    }
}
