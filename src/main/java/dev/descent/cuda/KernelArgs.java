package dev.descent.cuda;

import java.util.Arrays;

/**
 * A kernel's argument list in order, each with its kind, so a {@link CudaDevice} can pack it for
 * the driver (or check it against the kernel's signature, as the emulator does). Reused across
 * launches: {@link #clear()} and refill.
 */
final class KernelArgs {
    /** Argument kind of a device pointer; the emulator's native code uses the same numbers. */
    public static final int POINTER = 0;
    /** Argument kind of a 32-bit int. */
    public static final int INT = 1;
    /** Argument kind of a float. */
    public static final int FLOAT = 2;
    /** Argument kind of a double. */
    public static final int DOUBLE = 3;
    /** Argument kind of a 64-bit integer. */
    public static final int LONG = 4;

    int count;
    int[] kinds = new int[24];
    long[] values = new long[24];
    DeviceMemory[] memory = new DeviceMemory[24];

    /**
     * Empties the list for the next launch, keeping its arrays (a launch allocates nothing).
     *
     * @return this list
     */
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

    /**
     * Appends a pointer {@code floatOffset} floats into {@code mem}.
     *
     * @param mem device memory
     * @param floatOffset offset in floats
     * @return this list
     */
    public KernelArgs ptr(DeviceMemory mem, long floatOffset) {
        return add(POINTER, floatOffset * 4, mem);
    }

    /**
     * Appends a null pointer (kernels treat it as "no output").
     *
     * @return this list
     */
    public KernelArgs nullPtr() {
        return add(POINTER, 0, null);
    }

    /**
     * Appends an int.
     *
     * @param v the value
     * @return this list
     */
    public KernelArgs i(int v) {
        return add(INT, v, null);
    }

    /**
     * Appends a 64-bit integer.
     *
     * @param v the value
     * @return this list
     */
    public KernelArgs l(long v) {
        return add(LONG, v, null);
    }

    /**
     * Appends a float.
     *
     * @param v the value
     * @return this list
     */
    public KernelArgs f(float v) {
        return add(FLOAT, Float.floatToRawIntBits(v), null);
    }

    /**
     * Appends a double.
     *
     * @param v the value
     * @return this list
     */
    public KernelArgs d(double v) {
        return add(DOUBLE, Double.doubleToRawLongBits(v), null);
    }

    /**
     * Appends a boolean as the int 1 or 0.
     *
     * @param v the value
     * @return this list
     */
    public KernelArgs flag(boolean v) {
        return i(v ? 1 : 0);
    }
}
