package dev.descent.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * The driver's {@code kernelParams} for a launch through JCuda, packed without allocating. Each
 * argument has an 8-byte cell in one direct (native) buffer, and for each argument count there is
 * a Pointer to exactly that many cell pointers, all made once.
 *
 * <p>Both choices are about JCuda's marshalling, which visits every element of the array it is
 * given and pins any Java array an element points to. With a cell per slot in Java arrays
 * ({@code int[1]}, {@code long[1]}) and all 24 slots passed, a launch cost 11.6 us of host time on
 * the emulated driver with its kernels switched off; with native cells and exactly the kernel's
 * count, 1.15 us (the driver's own share is 0.11 us; benchmarks/results/cuda-host-cost-2026-12-06.md).
 * The driver copies the values during the call (a launch, or a graph node added or updated), so
 * the next call may reuse the cells.
 */
final class KernelParams {
    private ByteBuffer cells;
    private Pointer[] byCount;

    KernelParams(int capacity) {
        grow(capacity);
    }

    /**
     * Writes the arguments into the cells.
     *
     * @param kinds each argument's {@link KernelArgs} kind
     * @param values each argument as the device sees it: a pointer as its address, a float or
     *     double as its bits
     * @param count the number of arguments
     * @return kernelParams for those arguments, valid until the next call
     */
    Pointer pack(int[] kinds, long[] values, int count) {
        if (count >= byCount.length) {
            grow(count);
        }
        for (int i = 0; i < count; i++) {
            if (kinds[i] == KernelArgs.INT || kinds[i] == KernelArgs.FLOAT) {
                cells.putInt(8 * i, (int) values[i]);
            } else {  // POINTER, LONG and DOUBLE
                cells.putLong(8 * i, values[i]);
            }
        }
        return byCount[count];
    }

    private void grow(int count) {
        cells = ByteBuffer.allocateDirect(8 * count).order(ByteOrder.nativeOrder());
        Pointer base = Pointer.to(cells);
        NativePointerObject[] cellAt = new NativePointerObject[count];
        for (int i = 0; i < count; i++) {
            cellAt[i] = base.withByteOffset(8L * i);
        }
        byCount = new Pointer[count + 1];
        for (int n = 0; n <= count; n++) {
            byCount[n] = Pointer.to(Arrays.copyOf(cellAt, n));
        }
    }
}
