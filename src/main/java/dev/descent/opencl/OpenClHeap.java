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

    int capacity() {
        return capacity;
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
                return offset;
            }
        }
        long grown = Math.max((long) capacity * 2, (long) capacity + size);
        if (grown > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("OpenCL heap would exceed 2^31 floats (asked for " + length + ")");
        }
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
