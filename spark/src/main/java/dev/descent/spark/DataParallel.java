package dev.descent.spark;

import dev.descent.Backend;
import dev.descent.Checkpoint;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel training on Spark: one barrier-stage task per partition, each an
 * ordinary descent session on its own device, kept identical by averaging gradients every step
 * ({@link Replica}). A task that Spark gave a GPU ({@code spark.task.resource.gpu.amount=1})
 * opens the CUDA device at the address Spark assigned; otherwise it opens the configured backend.
 */
public final class DataParallel {
    private DataParallel() {}

    /**
     * Trains on every row of {@code data}, one task per partition, and returns the final state.
     *
     * <p>A task that fails fails the barrier stage and Spark reruns all of its tasks (up to
     * {@code spark.stage.maxConsecutiveAttempts}, 4 by default). With a checkpoint directory in
     * the configuration, the rerun resumes from the last completed epoch; without one it starts
     * over. Either way the result is the one an uninterrupted run gives.
     *
     * @param data the rows; each partition is one task's share, so repartition to the number of
     *     devices first. Spark must be able to run all its tasks at once.
     * @param config what to train
     * @return the checkpoint: model, optimizer, parameters, optimizer state, and in its metadata
     *     the epochs and steps done
     * @throws IllegalArgumentException before any training, naming the row, when a row has the
     *     wrong width, a non-finite feature or a label outside [0, classes)
     */
    public static Checkpoint fit(JavaRDD<LabeledVector> data, TrainingConfig config) {
        DataCheck.everyRow(data, DataCheck.vectors(config.model().inputWidth(), config.model().outputWidth()));
        return fitChecked(data, config);
    }

    /** {@link #fit} on rows already checked ({@link DataCheck}). */
    static Checkpoint fitChecked(JavaRDD<LabeledVector> data, TrainingConfig config) {
        Function1<scala.collection.Iterator<LabeledVector>, scala.collection.Iterator<byte[]>> task =
                (Function1<scala.collection.Iterator<LabeledVector>, scala.collection.Iterator<byte[]>> & Serializable)
                        rows -> CollectionConverters.asScala(runTask(CollectionConverters.asJava(rows), config));
        ClassTag<byte[]> bytes = ClassTag$.MODULE$.apply(byte[].class);
        RDD<byte[]> trained = data.rdd().barrier().mapPartitions(task, false, bytes);
        // A shuffle after the barrier stage makes it a shuffle map stage: Spark reruns a failed
        // barrier stage of that kind, but aborts the job when a barrier result stage fails.
        List<byte[]> result = JavaRDD.fromRDD(trained, bytes).repartition(1).collect();
        if (result.isEmpty()) {
            throw new IllegalArgumentException("data has no partitions");
        }
        return Checkpoint.fromBytes(result.get(0), "from Spark task 0");
    }

    private static Iterator<byte[]> runTask(Iterator<LabeledVector> rows, TrainingConfig config) {
        BarrierTaskContext context = BarrierTaskContext.get();
        List<LabeledVector> mine = new ArrayList<>();
        rows.forEachRemaining(mine::add);
        try (Backend backend = TaskBackends.open(config.backend(), context); Exchange exchange = exchange(config, context)) {
            Checkpoint state = Replica.train(mine, config, backend, exchange);
            // Every task holds the same state; only task 0 returns it.
            return context.partitionId() == 0 ? List.of(state.toBytes()).iterator() : Collections.emptyIterator();
        }
    }

    static Exchange exchange(TrainingConfig config, BarrierTaskContext context) {
        if (config.exchange().equals("barrier")) {
            return new BarrierExchange(context);
        }
        // Spark reports each task's executor as host:port; the ring listens on that host.
        String executor = context.getTaskInfos()[context.partitionId()].address();
        int colon = executor.lastIndexOf(':');
        String host = colon > 0 ? executor.substring(0, colon) : executor;
        return new RingExchange(context.partitionId(), host, context::allGather, config.exchangeTimeoutSeconds() * 1000);
    }
}
