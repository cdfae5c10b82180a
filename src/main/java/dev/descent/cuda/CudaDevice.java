package dev.descent.cuda;

/**
 * The one narrow interface through which {@link CudaBackend} reaches a CUDA device: memory,
 * copies, kernels by name, launches. {@link JCudaDevice} implements it on a GPU through the
 * driver API; {@link EmulatedDevice} implements it on the CPU by running the same .cu sources,
 * so CI executes the backend's real launch geometry, argument packing and arena offsets.
 */
interface CudaDevice extends AutoCloseable {

    /**
     * One line about the device.
     *
     * @return name, compute capability, memory, driver
     */
    String describe();

    /**
     * Allocates zero-filled device memory.
     *
     * @param bytes size of the allocation
     * @return the allocation
     */
    DeviceMemory malloc(long bytes);

    /**
     * Releases an allocation.
     *
     * @param mem memory from {@link #malloc}
     */
    void free(DeviceMemory mem);

    /**
     * Copies host floats to the device, synchronously.
     *
     * @param src host array
     * @param srcOffset first element read
     * @param dst device memory
     * @param dstFloatOffset first float written
     * @param count floats copied
     */
    void upload(float[] src, int srcOffset, DeviceMemory dst, long dstFloatOffset, int count);

    /**
     * Copies device floats to the host after every queued launch has finished.
     *
     * @param src device memory
     * @param srcFloatOffset first float read
     * @param dst host array
     * @param dstOffset first element written
     * @param count floats copied
     */
    void download(DeviceMemory src, long srcFloatOffset, float[] dst, int dstOffset, int count);

    /**
     * Device-to-device copy, queued on the device's stream.
     *
     * @param src source memory
     * @param srcFloatOffset first float read
     * @param dst destination memory
     * @param dstFloatOffset first float written
     * @param count floats copied
     */
    void copy(DeviceMemory src, long srcFloatOffset, DeviceMemory dst, long dstFloatOffset, long count);

    /**
     * Looks a kernel up in the loaded modules.
     *
     * @param name the kernel's extern "C" name
     * @return a handle for {@link #launch}
     * @throws RuntimeException when no loaded module has the kernel
     */
    int function(String name);

    /**
     * Launches on the device's one stream; returns without waiting.
     *
     * @param function a handle from {@link #function}
     * @param gridX blocks in x
     * @param gridY blocks in y
     * @param blockX threads per block
     * @param args the kernel's arguments, in its signature's order
     */
    void launch(int function, int gridX, int gridY, int blockX, KernelArgs args);

    /** Waits for every launch to finish. */
    void synchronize();

    /**
     * Device memory this process holds (for leak checks).
     *
     * @return bytes
     */
    long bytesInUse();

    /**
     * Bytes the device can still allocate: what a model's memory is checked against.
     *
     * @return bytes
     */
    long freeBytes();

    /**
     * Makes the device's context current on the calling thread before a call that does not go
     * through this interface (cuBLAS). The interface's own methods do it themselves.
     */
    default void makeCurrent() {
    }

    /**
     * The device's training-step graphs, when it builds steps into CUDA Graphs.
     *
     * @return the graphs, or null (the default: every launch is made when it is asked for)
     */
    default StepGraphs graphs() {
        return null;
    }

    @Override
    void close();
}
