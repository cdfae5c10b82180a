package dev.descent.spark;

import dev.descent.Control;
import dev.descent.Session;
import java.nio.ByteBuffer;

/**
 * Local SGD: each task steps on its own rows (its guard and clipping see its own gradient), and
 * every {@code every} steps and at the end of each epoch the tasks replace their parameters and
 * optimizer state with the row-weighted average over the tasks (rows since the last average),
 * and their step count with the largest. After an average the replicas are identical again, so
 * task 0's end-of-epoch checkpoint stands for all of them and a resumed run ends where an
 * uninterrupted one does. It exchanges {@code 1 + states} times the parameters every
 * {@code every} steps instead of the gradient every step, and is not the one-process
 * computation: the replicas drift apart between averages.
 */
final class ParameterAverage implements Synchroniser {
    private final Session session;
    private final Exchange exchange;
    private final int every;
    private final float[][] parts;
    private final float[] average;
    private final double[] sum;
    private final ByteBuffer outgoing;
    private int rowsSinceAverage;
    private int stepsSinceAverage;

    ParameterAverage(Session session, Exchange exchange, int every) {
        this.session = session;
        this.exchange = exchange;
        this.every = every;
        int count = session.model().parameterCount();
        parts = new float[1 + session.stateCount()][count];
        average = new float[parts.length * count];
        sum = new double[average.length];
        outgoing = Messages.buffer(average.length);
    }

    @Override
    public void step(int rows, float lr, long iteration, boolean lastOfEpoch) {
        if (rows > 0) {
            session.trainBatch(rows, lr, iteration);
            rowsSinceAverage += rows;
        }
        if (++stepsSinceAverage == every || lastOfEpoch) {
            average();
        }
    }

    private void average() {
        float steps = session.control()[Control.STEP];
        byte[] mine;
        if (rowsSinceAverage > 0) {
            session.parameters(parts[0]);
            for (int i = 1; i < parts.length; i++) {
                session.state(i - 1, parts[i]);
            }
            mine = Messages.write(outgoing, rowsSinceAverage, steps, 0, parts);
        } else {
            mine = Messages.header(0, steps, 0);
        }
        Messages.Totals totals = Messages.average(exchange.allGather(mine), sum, average);
        rowsSinceAverage = 0;
        stepsSinceAverage = 0;
        if (totals.rows() == 0) {
            return; // no task stepped since the last average, so they still agree
        }
        int count = parts[0].length;
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(average, i * count, parts[i], 0, count);
        }
        session.setParameters(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            session.setState(i - 1, parts[i]);
        }
        float[] c = session.control();
        c[Control.STEP] = (float) totals.maxA();
        session.setControl(c);
    }
}
