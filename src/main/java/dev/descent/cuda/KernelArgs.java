package dev.descent.cuda;

import java.util.Arrays;

/**
 * A kernel's argument list in order, each with its kind, so a {@link CudaDevice} can pack it for
 * the driver (or check it against the kernel's signature, as the emulator does). Reused across
 * launches: {@link #clear()} and refill.
 */
public final class KernelArgs {
    /** Argument kinds; the emulator's native code uses the same numbers. */
    public static final int POINTER = 0;
    public static final int INT = 1;
    public static final int FLOAT = 2;
    public static final int DOUBLE = 3;
    public static final int LONG = 4;

    int count;
    int[] kinds = new int[24];
    long[] values = new long[24];
    DeviceMemory[] memory = new DeviceMemory[24];

    public KernelArgs clear() {
        Arrays.fill(memory, 0, count, null);
        count = 0;
        return this;
    }

    private KernelArgs add(int kind, long value, DeviceMemory mem) {
        if (count == kinds.length) {
            kinds = Arrays.copyOf(kinds, count * 2);
            values = Arrays.copyOf(values, count * 2);
            memory = Arrays.copyOf(memory, count * 2);
        }
        kinds[count] = kind;
        values[count] = value;
        memory[count] = mem;
        count++;
        return this;
    }

    /** A pointer {@code floatOffset} floats into {@code mem}. */
    public KernelArgs ptr(DeviceMemory mem, long floatOffset) {
        return add(POINTER, floatOffset * 4, mem);
    }

    /** A null pointer (kernels treat it as "no output"). */
    public KernelArgs nullPtr() {
        return add(POINTER, 0, null);
    }

    public KernelArgs i(int v) {
        return add(INT, v, null);
    }

    public KernelArgs l(long v) {
        return add(LONG, v, null);
    }

    public KernelArgs f(float v) {
        return add(FLOAT, Float.floatToRawIntBits(v), null);
    }

    public KernelArgs d(double v) {
        return add(DOUBLE, Double.doubleToRawLongBits(v), null);
    }

    public KernelArgs flag(boolean v) {
        return i(v ? 1 : 0);
    }
}
