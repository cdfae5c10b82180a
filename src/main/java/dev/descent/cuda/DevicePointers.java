package dev.descent.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * JCuda pointer objects for device addresses, made once per address and then reused, so that a
 * cuBLAS call in the training loop allocates nothing (JCuda pointers cannot be re-aimed, and
 * withByteOffset makes a new one each time). A training step multiplies at a fixed set of
 * addresses (weights, activations and gradients at their arena and workspace offsets), so the
 * table stays small; it is an open-addressing table on the raw address, emptied if it ever fills.
 */
final class DevicePointers {
    private static final int CAPACITY = 1 << 12;  // a power of two; at most half of it used

    private final long[] addresses = new long[CAPACITY];
    private final CUdeviceptr[] pointers = new CUdeviceptr[CAPACITY];
    private int size;

    CUdeviceptr at(DeviceMemory mem, long floatOffset) {
        long address = JCudaDevice.address(mem, floatOffset);
        int slot = Long.hashCode(address * 0x9E3779B97F4A7C15L) & (CAPACITY - 1);
        while (pointers[slot] != null) {
            if (addresses[slot] == address) {
                return pointers[slot];
            }
            slot = (slot + 1) & (CAPACITY - 1);
        }
        if (size == CAPACITY / 2) {
            java.util.Arrays.fill(pointers, null);
            size = 0;
            return at(mem, floatOffset);
        }
        CUdeviceptr p = (CUdeviceptr) ((CUdeviceptr) mem.handle).withByteOffset(floatOffset * 4);
        addresses[slot] = address;
        pointers[slot] = p;
        size++;
        return p;
    }
}
