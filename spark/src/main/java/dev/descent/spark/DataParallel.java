package dev.descent.spark;

import dev.descent.Backend;
import dev.descent.BackendOptions;
import dev.descent.Backends;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.resource.ResourceInformation;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
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
     * Trains on every row of {@code data}, one task per partition, and returns the parameters.
     *
     * @param data the rows; each partition is one task's share, so repartition to the number of
     *     devices first
     * @param config what to train
     * @return the parameter arena, laid out as {@link dev.descent.Session#parameters} returns it
     */
    public static float[] fit(JavaRDD<LabeledVector> data, TrainingConfig config) {
        Function1<scala.collection.Iterator<LabeledVector>, scala.collection.Iterator<float[]>> task =
                (Function1<scala.collection.Iterator<LabeledVector>, scala.collection.Iterator<float[]>> & Serializable)
                        rows -> CollectionConverters.asScala(runTask(CollectionConverters.asJava(rows), config));
        Object collected = data.rdd().barrier().mapPartitions(task, false, ClassTag$.MODULE$.apply(float[].class)).collect();
        float[][] all = (float[][]) collected;
        if (all.length == 0) {
            throw new IllegalArgumentException("data has no partitions");
        }
        return all[0];
    }

    private static Iterator<float[]> runTask(Iterator<LabeledVector> rows, TrainingConfig config) {
        BarrierTaskContext context = BarrierTaskContext.get();
        List<LabeledVector> mine = new ArrayList<>();
        rows.forEachRemaining(mine::add);
        try (Backend backend = open(config, context)) {
            float[] params = Replica.train(mine, config, backend, new BarrierExchange(context));
            // Every task holds the same parameters; only task 0 returns them.
            return context.partitionId() == 0 ? List.of(params).iterator() : java.util.Collections.emptyIterator();
        }
    }

    private static Backend open(TrainingConfig config, BarrierTaskContext context) {
        Map<String, ResourceInformation> resources = CollectionConverters.asJava(context.resources());
        ResourceInformation gpu = resources.get("gpu");
        if (gpu != null && gpu.addresses().length > 0) {
            int ordinal = Integer.parseInt(gpu.addresses()[0].trim());
            return Backends.open("cuda", BackendOptions.defaults().withCudaDevice(ordinal));
        }
        return Backends.open(config.backend());
    }
}
