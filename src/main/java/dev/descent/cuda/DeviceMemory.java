package dev.descent.cuda;

/**
 * One device allocation as a {@link CudaDevice} hands it out: its size and the device's own
 * handle (a CUdeviceptr on a GPU, an address in the emulator).
 */
final class DeviceMemory {
    final long bytes;
    final Object handle;

    DeviceMemory(long bytes, Object handle) {
        this.bytes = bytes;
        this.handle = handle;
    }

    /**
     * Size of the allocation.
     *
     * @return bytes
     */
    public long bytes() {
        return bytes;
    }
}
