package dev.descent.spark;

import dev.descent.Backend;
import dev.descent.BackendOptions;
import dev.descent.Backends;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.jdk.javaapi.CollectionConverters;

/** The backend a Spark task runs on: the GPU Spark assigned it, if any, else the one named. */
final class TaskBackends {
    private TaskBackends() {}

    /**
     * Opens the CUDA device at the address in {@code TaskContext.resources()} when Spark gave the
     * task a GPU ({@code spark.task.resource.gpu.amount=1}); otherwise {@code fallback}.
     *
     * @param fallback backend name for tasks without a GPU
     * @param context the running task, or null outside one
     * @return the open backend; the caller closes it
     */
    static Backend open(String fallback, TaskContext context) {
        if (context != null) {
            Map<String, ResourceInformation> resources = CollectionConverters.asJava(context.resources());
            ResourceInformation gpu = resources.get("gpu");
            if (gpu != null && gpu.addresses().length > 0) {
                int ordinal = Integer.parseInt(gpu.addresses()[0].trim());
                return Backends.open("cuda", BackendOptions.defaults().withCudaDevice(ordinal));
            }
        }
        return Backends.open(fallback);
    }
}
