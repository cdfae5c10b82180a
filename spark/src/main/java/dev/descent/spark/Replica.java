package dev.descent.spark;

import dev.descent.Backend;
import dev.descent.Checkpoint;
import dev.descent.Control;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.data.Dataset;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's share of synchronous data-parallel training: an ordinary {@link Session} on the
 * task's backend and rows. Every step, each task runs forward and backward on its next
 * {@code batchPerTask} rows, the tasks exchange gradients, loss sums and row counts, and each
 * steps with the row-weighted average, which is the mean gradient over the global batch, exactly
 * what one process computes for the union of the tasks' rows. Because every task averages the
 * same bytes in the same order, the replicas stay identical: the guard (a non-finite gradient
 * anywhere makes the average non-finite, so every replica skips) and global-norm clipping (the
 * norm of the average) keep their one-process meaning.
 */
final class Replica {
    private Replica() {}

    /** The checkpoint file in a run's checkpoint directory. */
    static final String CHECKPOINT_FILE = "last-epoch.ckpt";

    /**
     * Trains on this task's rows and returns the final state (identical on every task). With a
     * checkpoint directory, it starts from the last completed epoch recorded there, if that
     * checkpoint came from this same run, and task 0 records every epoch it completes.
     *
     * @param rows this task's rows
     * @param config what to train
     * @param backend this task's backend; closed by the caller
     * @param exchange the collective among the tasks
     * @return the session's checkpoint after training; its metadata says how many epochs and
     *     steps were done and the epoch this attempt started from
     */
    static Checkpoint train(List<LabeledVector> rows, TrainingConfig config, Backend backend, Exchange exchange) {
        Model model = config.model();
        int n = rows.size();
        int[] shape = shape(exchange, n, config.batchPerTask());
        int steps = shape[0], tasks = shape[1];
        Schedule schedule = Schedule.parse(config.schedule());
        String fingerprint = config.fingerprint(tasks);
        try (Session session = Session.create(model, backend, config.optimizerSpec(), config.batchPerTask(), config.seed())) {
            session.setGuard(config.guard());
            int firstEpoch = resume(session, config, fingerprint);
            long iteration = (long) firstEpoch * steps;
            int count = model.parameterCount();
            float[] average = new float[count];
            double[] sum = new double[count];
            // One outgoing message for the whole run: a step's gradient is sent before the next is taken.
            ByteBuffer outgoing = ByteBuffer.allocate(12 + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
            byte[] noRows = message(0, 0, 0, null);
            DeviceDataset data = n == 0 ? null : session.upload(dataset(rows, model));
            for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
                if (data != null && config.shuffle()) {
                    data.shuffle(shuffleSeed(config.seed(), epoch, exchange.task()));
                }
                for (int s = 0; s < steps; s++) {
                    if (config.fault() != null) {
                        config.fault().maybeFail(exchange.task(), epoch, s);
                    }
                    int from = s * config.batchPerTask();
                    int take = Math.max(0, Math.min(config.batchPerTask(), n - from));
                    byte[] mine = take == 0 ? noRows : localGradient(session, data, from, take, outgoing);
                    Batch global = average(exchange.allGather(mine), sum, average);
                    session.setGradients(average);
                    float[] c = session.control();
                    c[Control.BATCH_LOSS] = global.lossSum();
                    c[Control.BATCH_CORRECT] = global.correct();
                    session.setControl(c);
                    float lr = (float) (config.lr() * schedule.factor(iteration, steps, config.epochs()));
                    session.step(lr, iteration++, global.rows());
                }
                if (exchange.task() == 0 && !config.checkpointDir().isEmpty()) {
                    Checkpoint.of(session, metadata(epoch + 1, iteration, firstEpoch, fingerprint))
                            .save(Path.of(config.checkpointDir(), CHECKPOINT_FILE));
                }
            }
            if (data != null) {
                data.close();
            }
            return Checkpoint.of(session, metadata(config.epochs(), iteration, firstEpoch, fingerprint));
        }
    }

    private static Map<String, String> metadata(int epochs, long steps, int startedAt, String fingerprint) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epochs", Integer.toString(epochs));
        m.put("steps", Long.toString(steps));
        m.put("attemptStartedAtEpoch", Integer.toString(startedAt));
        m.put("sparkRun", fingerprint);
        return m;
    }

    /**
     * Restores the last completed epoch's checkpoint if this run wrote it, and returns the epoch
     * to start from. Every task reads it before the first exchange of training, and task 0
     * writes the next one only after that exchange, so all tasks read the same file.
     */
    private static int resume(Session session, TrainingConfig config, String fingerprint) {
        if (config.checkpointDir().isEmpty()) {
            return 0;
        }
        Path file = Path.of(config.checkpointDir(), CHECKPOINT_FILE);
        if (!Files.exists(file)) {
            return 0;
        }
        Checkpoint last = Checkpoint.load(file);
        if (!fingerprint.equals(last.metadata().get("sparkRun"))) {
            throw new IllegalArgumentException("checkpoint " + file + " is from another training run (its settings,"
                    + " data partitioning or task count differ); remove it or choose another checkpoint directory");
        }
        last.restore(session);
        return Math.min(Integer.parseInt(last.metadata().get("epochs")), config.epochs());
    }

    /** The global batch: its rows, loss sum and correct count over all tasks. */
    record Batch(int rows, float lossSum, float correct) {}

    /** Steps per epoch (the largest partition's) and the number of tasks, agreed by all tasks. */
    private static int[] shape(Exchange exchange, int rows, int batch) {
        int most = 0;
        byte[][] all = exchange.allGather(ByteBuffer.allocate(4).putInt(0, rows).array());
        for (byte[] m : all) {
            most = Math.max(most, ByteBuffer.wrap(m).getInt(0));
        }
        return new int[] {(most + batch - 1) / batch, all.length};
    }

    /** Forward and backward on this task's rows; their message, written into {@code out}. */
    private static byte[] localGradient(Session session, DeviceDataset data, int from, int rows, ByteBuffer out) {
        session.gatherBatch(data, from, rows);
        session.forward(rows);
        session.backward(rows);
        float[] c = session.control();
        return write(out, rows, c[Control.BATCH_LOSS], c[Control.BATCH_CORRECT], session.gradients());
    }

    /** A message without a buffer of its own (the zero-row one, sized to its header). */
    private static byte[] message(int rows, float loss, float correct, float[] gradient) {
        int count = gradient == null ? 0 : gradient.length;
        return write(ByteBuffer.allocate(12 + 4 * count).order(ByteOrder.LITTLE_ENDIAN), rows, loss, correct, gradient);
    }

    // rows (int), loss sum, correct count, then the gradient: little-endian floats.
    private static byte[] write(ByteBuffer b, int rows, float loss, float correct, float[] gradient) {
        b.clear();
        b.putInt(rows).putFloat(loss).putFloat(correct);
        if (gradient != null) {
            b.asFloatBuffer().put(gradient);
        }
        return b.array();
    }

    /** Writes the row-weighted mean of every task's gradient to out, summed in double in task order. */
    static Batch average(byte[][] messages, double[] sum, float[] out) {
        java.util.Arrays.fill(sum, 0);
        int total = 0;
        double loss = 0, correct = 0;
        for (byte[] m : messages) {
            ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
            int rows = b.getInt();
            loss += b.getFloat();
            correct += b.getFloat();
            if (rows == 0) {
                continue;
            }
            total += rows;
            java.nio.FloatBuffer g = b.asFloatBuffer();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += (double) rows * g.get(i);
            }
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = total == 0 ? 0f : (float) (sum[i] / total);
        }
        return new Batch(total, (float) loss, (float) correct);
    }

    static Dataset dataset(List<LabeledVector> rows, Model model) {
        int cols = model.inputWidth();
        float[] x = new float[rows.size() * cols];
        int[] labels = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            float[] f = rows.get(r).features();
            if (f.length != cols) {
                throw new IllegalArgumentException("row " + r + " has " + f.length + " features, the model takes " + cols);
            }
            System.arraycopy(f, 0, x, r * cols, cols);
            labels[r] = rows.get(r).label();
        }
        return Dataset.classification(x, rows.size(), cols, labels, model.outputWidth());
    }

    /** Distinct per epoch and partition, the same on every run with the same partitioning. */
    static long shuffleSeed(long seed, int epoch, int task) {
        return seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + task * 0x94D049BB133111EBL;
    }
}
