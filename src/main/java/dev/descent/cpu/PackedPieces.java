package dev.descent.cpu;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A packed operand that every thread of one parallel GEMM needs whole, packed once in pieces:
 * the first thread to reach a piece claims it and packs it, and a thread that finds a piece
 * claimed by another waits until it is ready. A square product split by rows had each of the
 * two threads pack all of op(B), reading it twice from memory; packing took 11-17% of 1024^3.
 *
 * <p>A thread waits only for a piece that another thread has claimed, so is running: when the
 * other chunk of a call never started (Parallel runs it on the caller afterwards), the first
 * chunk packs every piece itself and nothing waits. A piece's state carries the call's number,
 * so a new call needs no pass to reset it.
 */
final class PackedPieces {
    private float[] buffer = new float[0];
    private AtomicLongArray state = new AtomicLongArray(0);
    /** Number of the current call; a piece is claimed in it at 2*call+1 and ready at 2*call+2. */
    private long call;

    /**
     * Starts a call, on the calling thread before it forks: at least {@code floats} of buffer
     * and {@code pieces} pieces, none of them claimed in this call.
     */
    void begin(int floats, int pieces) {
        if (buffer.length < floats) {
            buffer = new float[floats];
        }
        if (state.length() < pieces) {
            state = new AtomicLongArray(pieces);
        }
        call++;
    }

    /** The buffer the pieces are packed into. */
    float[] buffer() {
        return buffer;
    }

    /** Claims piece i for the calling thread: true when it was not claimed yet in this call; the caller must then pack it and call {@link #ready}. */
    boolean claim(int i) {
        long claimed = 2 * call + 1;
        long v = state.get(i);
        return v < claimed && state.compareAndSet(i, v, claimed);
    }

    /** Marks piece i packed; the volatile write publishes its floats to the threads that wait for it. */
    void ready(int i) {
        state.set(i, 2 * call + 2);
    }

    /** Waits until piece i is ready (another thread is packing it). */
    void await(int i) {
        long ready = 2 * call + 2;
        while (state.get(i) != ready) {
            Thread.onSpinWait();
        }
    }
}
