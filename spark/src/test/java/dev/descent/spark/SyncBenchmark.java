package dev.descent.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

/**
 * The cost of one synchronisation of data-parallel training: every task sends its gradient of
 * P floats, receives everyone's and forms the row-weighted average (what {@link Replica} does
 * each step), for P = 10^5, 10^6, 10^7 and 1, 2, 4 tasks, through the TCP ring and, for the
 * smallest size, through Spark's allGather. The tasks run in {@code local[T]} (threads of one
 * JVM) or {@code local-cluster[T,1,2048]} (one executor JVM each, as on a cluster). Prints one
 * markdown row per case.
 *
 * <p>Run with {@code bash benchmarks/spark/sync.sh [rounds] [local|cluster]}.
 */
public final class SyncBenchmark {
    private SyncBenchmark() {}

    /** @param args [rounds] timed rounds per case (default 10), [local|cluster] (default local) */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        boolean cluster = args.length > 1 && args[1].equals("cluster");
        System.out.println("| tasks | parameters | exchange | median ms | min ms | MB sent per task |");
        System.out.println("|---:|---:|---|---:|---:|---:|");
        for (int tasks : new int[] {1, 2, 4}) {
            SparkConf conf = cluster ? LocalCluster.conf(tasks, 2048) : new SparkConf().setMaster("local[" + tasks + "]");
            JavaSparkContext sc = new JavaSparkContext(conf
                    .setAppName("descent-sync-benchmark").set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1"));
            sc.setLogLevel("WARN");
            try {
                for (int params : new int[] {100_000, 1_000_000, 10_000_000}) {
                    print(tasks, params, "ring", measure(sc, tasks, params, "ring", rounds), rounds);
                }
                print(tasks, 100_000, "barrier", measure(sc, tasks, 100_000, "barrier", 3), 3);
            } finally {
                sc.stop();
            }
        }
        System.exit(0);
    }

    private static void print(int tasks, int params, String exchange, double[] ms, int rounds) {
        double mb = (tasks - 1) * (12 + 4.0 * params) / 1e6;
        System.out.printf("| %d | %,d | %s | %.2f | %.2f | %.1f |%n", tasks, params, exchange, ms[0], ms[1], mb);
    }

    /** Median and minimum milliseconds of one exchange plus average, as task 0 saw them. */
    private static double[] measure(JavaSparkContext sc, int tasks, int params, String kind, int rounds) {
        List<Integer> parts = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            parts.add(i);
        }
        Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<double[]>> task =
                (Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<double[]>> & Serializable)
                        ignored -> CollectionConverters.asScala(run(params, kind, rounds));
        Object out = sc.parallelize(parts, tasks).rdd().barrier()
                .mapPartitions(task, false, ClassTag$.MODULE$.apply(double[].class)).collect();
        return ((double[][]) out)[0];
    }

    private static Iterator<double[]> run(int params, String kind, int rounds) {
        BarrierTaskContext context = BarrierTaskContext.get();
        TrainingConfig config = TrainingConfig.of(dev.descent.Model.builder(1).dense(2, dev.descent.Activation.IDENTITY)
                .build(), dev.descent.optim.Sgd.of(0.1), 1, 1, 0.1f, 1).withExchange(kind);
        float[] gradient = new float[params];
        Arrays.fill(gradient, 0.5f + context.partitionId());
        byte[] message = Messages.write(Messages.buffer(params), 32, 1f, 2f, gradient);
        double[] sum = new double[params];
        float[] average = new float[params];
        double[] times = new double[rounds];
        try (Exchange exchange = DataParallel.exchange(config, context)) {
            for (int r = -2; r < rounds; r++) {
                long start = System.nanoTime();
                Messages.average(exchange.allGather(message), sum, average);
                if (r >= 0) {
                    times[r] = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        Arrays.sort(times);
        double[] result = {times[rounds / 2], times[0]};
        return context.partitionId() == 0 ? List.of(result).iterator() : Collections.emptyIterator();
    }
}
