package dev.descent.spark;

import dev.descent.Control;
import dev.descent.Session;
import java.nio.ByteBuffer;

/**
 * Every step, the tasks exchange gradients, loss sums and row counts, and each steps with the
 * row-weighted average: the mean gradient over the global batch, exactly what one process
 * computes for the union of the tasks' rows. Because every task averages the same bytes in the
 * same order, the replicas stay identical: the guard (a non-finite gradient anywhere makes the
 * average non-finite, so every replica skips) and global-norm clipping (the norm of the average)
 * keep their one-process meaning.
 */
final class GradientAverage implements Synchroniser {
    private final Session session;
    private final Exchange exchange;
    private final float[] gradient;
    private final float[] average;
    private final double[] sum;
    // One outgoing message for the whole run: a step's gradient is sent before the next is taken.
    private final ByteBuffer outgoing;
    private final byte[] noRows = Messages.header(0, 0, 0);

    GradientAverage(Session session, Exchange exchange) {
        this.session = session;
        this.exchange = exchange;
        int count = session.model().parameterCount();
        gradient = new float[count];
        average = new float[count];
        sum = new double[count];
        outgoing = Messages.buffer(count);
    }

    @Override
    public void step(int rows, float lr, long iteration, boolean lastOfEpoch) {
        if (rows > 0) {
            session.forward(rows);
            session.backward(rows);
        }
        // One read of the control block per step: nothing below changes it before setControl.
        float[] c = session.control();
        byte[] mine = rows == 0 ? noRows : Messages.write(outgoing, rows, c[Control.BATCH_LOSS],
                c[Control.BATCH_CORRECT], session.gradients(gradient));
        Messages.Totals global = Messages.average(exchange.allGather(mine), sum, average);
        session.setGradients(average);
        c[Control.BATCH_LOSS] = (float) global.sumA();
        c[Control.BATCH_CORRECT] = (float) global.sumB();
        session.setControl(c);
        session.step(lr, iteration, global.rows());
    }
}
