package dev.descent.cuda;

/**
 * The one narrow interface through which {@link CudaBackend} reaches a CUDA device: memory,
 * copies, kernels by name, launches. {@link JCudaDevice} implements it on a GPU through the
 * driver API; {@link EmulatedDevice} implements it on the CPU by running the same .cu sources,
 * so CI executes the backend's real launch geometry, argument packing and arena offsets.
 */
public interface CudaDevice extends AutoCloseable {

    /** One line: device name, compute capability, memory, driver. */
    String describe();

    /** Zero-filled device memory. */
    DeviceMemory malloc(long bytes);

    void free(DeviceMemory mem);

    void upload(float[] src, int srcOffset, DeviceMemory dst, long dstFloatOffset, int count);

    void download(DeviceMemory src, long srcFloatOffset, float[] dst, int dstOffset, int count);

    /** Device-to-device copy of {@code count} floats, queued on the device's stream. */
    void copy(DeviceMemory src, long srcFloatOffset, DeviceMemory dst, long dstFloatOffset, long count);

    /** A handle for the kernel {@code name} from the loaded modules; an exception if missing. */
    int function(String name);

    /** Launches on the device's one stream; returns without waiting. */
    void launch(int function, int gridX, int gridY, int blockX, KernelArgs args);

    /** Waits for every launch to finish. */
    void synchronize();

    /** Device memory this process holds (for leak checks). */
    long bytesInUse();

    /** Bytes the device can still allocate: what {@code Memory.require} checks a model against. */
    long freeBytes();

    /**
     * Makes the device's context current on the calling thread before a call that does not go
     * through this interface (cuBLAS). The interface's own methods do it themselves.
     */
    default void makeCurrent() {
    }

    @Override
    void close();
}
