package dev.descent.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * What replicas send each other: the rows behind the message (int), two header floats, then a
 * payload of floats (gradients, or parameters and optimizer state), all little-endian. A message
 * from a task with no rows carries the header only.
 */
final class Messages {
    private Messages() {}

    /** Header bytes before the payload. */
    static final int HEADER = 12;

    /**
     * What the header says over all tasks.
     *
     * @param rows total rows
     * @param sumA sum of the first header float
     * @param sumB sum of the second header float
     * @param maxA largest first header float
     */
    record Totals(int rows, double sumA, double sumB, double maxA) {}

    /** A buffer for messages of {@code floats} payload values, allocated once per run. */
    static ByteBuffer buffer(int floats) {
        return ByteBuffer.allocate(HEADER + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A header-only message. */
    static byte[] header(int rows, float a, float b) {
        return write(buffer(0), rows, a, b);
    }

    /** Writes the header and the parts, one after another, into {@code out}; returns its array. */
    static byte[] write(ByteBuffer out, int rows, float a, float b, float[]... parts) {
        out.clear();
        out.putInt(rows).putFloat(a).putFloat(b);
        FloatBuffer payload = out.asFloatBuffer();
        for (float[] part : parts) {
            payload.put(part);
        }
        return out.array();
    }

    /**
     * Writes the row-weighted mean of every task's payload to {@code out}, summed in double in
     * task order so every task computes the same bits; messages with no rows add nothing.
     *
     * @param messages one per task, in task order
     * @param sum scratch, one double per payload value
     * @param out the mean, one float per payload value; zeros when no task had rows
     * @return the header totals
     */
    static Totals average(byte[][] messages, double[] sum, float[] out) {
        Arrays.fill(sum, 0);
        int total = 0;
        double a = 0, b = 0, maxA = Double.NEGATIVE_INFINITY;
        for (byte[] m : messages) {
            ByteBuffer in = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
            int rows = in.getInt();
            float first = in.getFloat();
            a += first;
            maxA = Math.max(maxA, first);
            b += in.getFloat();
            if (rows == 0) {
                continue;
            }
            total += rows;
            FloatBuffer payload = in.asFloatBuffer();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += (double) rows * payload.get(i);
            }
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = total == 0 ? 0f : (float) (sum[i] / total);
        }
        return new Totals(total, a, b, maxA);
    }
}
