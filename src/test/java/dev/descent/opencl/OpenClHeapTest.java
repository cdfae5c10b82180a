package dev.descent.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The OpenCL backend's one-buffer heap: bounded by the device's largest allocation, freed space reused. */
class OpenClHeapTest {

    @Test
    void growthStopsAtTheDevicesLargestAllocation() {
        OpenClHeap heap = new OpenClHeap(4096);  // 1,024 floats
        assertEquals(1024, heap.roomFloats());
        int a = heap.allocate(600);
        assertEquals(424, heap.roomFloats());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> heap.allocate(600));
        assertTrue(e.getMessage().contains("limit of 1024 floats"), e.getMessage());
        assertTrue(heap.capacity() <= 1024, "capacity " + heap.capacity());
        heap.free(a);
        assertEquals(1024, heap.roomFloats());
        assertEquals(a, heap.allocate(600), "freed space is reused");
    }

    @Test
    void aDeviceThatGivesNoLimitIsBoundedByTheJavaArray() {
        OpenClHeap heap = new OpenClHeap(0);
        assertEquals(Integer.MAX_VALUE - 8, heap.roomFloats());
        heap.allocate(10);
        assertEquals(Integer.MAX_VALUE - 8 - 12, heap.roomFloats(), "blocks are rounded up to 4 floats");
    }
}
