package dev.descent.opencl;

import java.util.Map;
import java.util.TreeMap;

/**
 * First-fit allocator over the OpenCL backend's single float heap. Blocks start on multiples of
 * 4 floats (16 bytes); freed blocks merge with free neighbours. When nothing fits the capacity
 * doubles (or grows to fit), and the backend reallocates its array: allocation happens while
 * sessions are set up, never inside a training step.
 */
final class OpenClHeap {
    private static final int ALIGN = 4;
    /** Free ranges: offset -> length. */
    private final TreeMap<Integer, Integer> free = new TreeMap<>();
    /** Live blocks: offset -> length. */
    private final Map<Integer, Integer> used = new TreeMap<>();
    private int capacity;
    private long usedFloats;
    /**
     * The most floats the heap may hold: one Java array (int-indexed) that is also one device
     * buffer, so at most 2^31 - 8 floats and at most the device's largest allocation.
     */
    private final int limit;

    /** {@code deviceMaxAllocBytes} <= 0 means the device did not say: only the array bound applies. */
    OpenClHeap(long deviceMaxAllocBytes) {
        long floats = deviceMaxAllocBytes > 0 ? deviceMaxAllocBytes / 4 : Long.MAX_VALUE;
        this.limit = (int) Math.max(ALIGN, Math.min(Integer.MAX_VALUE - 8, floats));
    }

    int capacity() {
        return capacity;
    }

    /** Floats a new block can still take, whether in free space or by growing. */
    long roomFloats() {
        return limit - usedFloats;
    }

    int allocate(int length) {
        int size = (length + ALIGN - 1) / ALIGN * ALIGN;
        for (Map.Entry<Integer, Integer> e : free.entrySet()) {
            if (e.getValue() >= size) {
                int offset = e.getKey();
                free.remove(offset);
                if (e.getValue() > size) {
                    free.put(offset + size, e.getValue() - size);
                }
                used.put(offset, size);
                usedFloats += size;
                return offset;
            }
        }
        if ((long) capacity + size > limit) {
            throw new IllegalStateException("OpenCL heap would exceed its limit of " + limit + " floats (the device's"
                    + " largest buffer, and at most 2^31) when asked for " + length);
        }
        long grown = Math.min(limit, Math.max((long) capacity * 2, (long) capacity + size));
        int old = capacity;
        capacity = (int) grown;
        release(old, capacity - old);
        return allocate(length);
    }

    void free(int offset) {
        Integer size = used.remove(offset);
        if (size == null) {
            throw new IllegalArgumentException("OpenCL buffer at " + offset + " is not allocated (double free?)");
        }
        usedFloats -= size;
        release(offset, size);
    }

    private void release(int offset, int size) {
        Map.Entry<Integer, Integer> before = free.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() == offset) {
            offset = before.getKey();
            size += before.getValue();
            free.remove(offset);
        }
        Integer after = free.remove(offset + size);
        if (after != null) {
            size += after;
        }
        free.put(offset, size);
    }

}
