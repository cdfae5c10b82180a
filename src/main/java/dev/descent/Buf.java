package dev.descent;

/**
 * A float buffer owned by a {@link Backend}: host memory for the CPU backends, device memory for
 * CUDA and OpenCL. Callers address parts of it with (buffer, offset) pairs; only the backend
 * that allocated a buffer may use it.
 */
public interface Buf {
    /**
     * Floats in the buffer.
     *
     * @return the length it was allocated with
     */
    int length();
}
