package dev.descent.cuda;

/**
 * A {@link CudaDevice} that counts what crosses the host-device boundary before passing each
 * call on, so a test can show that a training step launches kernels and does nothing else.
 */
final class CountingDevice implements CudaDevice {
    private final CudaDevice inner;
    long mallocs;
    long frees;
    long uploads;
    long downloads;
    long synchronizes;
    long launches;

    /** What freeBytes reports at most: a GPU larger than a test's premise can stand in for a smaller one. */
    private final long freeBytesCap;

    CountingDevice(CudaDevice inner) {
        this(inner, Long.MAX_VALUE);
    }

    CountingDevice(CudaDevice inner, long freeBytesCap) {
        this.inner = inner;
        this.freeBytesCap = freeBytesCap;
    }

    void reset() {
        mallocs = frees = uploads = downloads = synchronizes = launches = 0;
    }

    /** Every call that allocates, frees or moves data across PCIe, or waits for the device. */
    long hostInteractions() {
        return mallocs + frees + uploads + downloads + synchronizes;
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public DeviceMemory malloc(long bytes) {
        mallocs++;
        return inner.malloc(bytes);
    }

    @Override
    public void free(DeviceMemory mem) {
        frees++;
        inner.free(mem);
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceMemory dst, long dstFloatOffset, int count) {
        uploads++;
        inner.upload(src, srcOffset, dst, dstFloatOffset, count);
    }

    @Override
    public void download(DeviceMemory src, long srcFloatOffset, float[] dst, int dstOffset, int count) {
        downloads++;
        inner.download(src, srcFloatOffset, dst, dstOffset, count);
    }

    @Override
    public void copy(DeviceMemory src, long srcFloatOffset, DeviceMemory dst, long dstFloatOffset, long count) {
        inner.copy(src, srcFloatOffset, dst, dstFloatOffset, count);  // device to device: allowed
    }

    @Override
    public int function(String name) {
        return inner.function(name);
    }

    @Override
    public void launch(int function, int gridX, int gridY, int blockX, KernelArgs args) {
        launches++;
        inner.launch(function, gridX, gridY, blockX, args);
    }

    @Override
    public void synchronize() {
        synchronizes++;
        inner.synchronize();
    }

    @Override
    public long freeBytes() {
        return Math.min(freeBytesCap, inner.freeBytes());
    }

    @Override
    public long bytesInUse() {
        return inner.bytesInUse();
    }

    @Override
    public StepGraphs graphs() {
        return inner.graphs();
    }

    @Override
    public void close() {
        inner.close();
    }
}
