package dev.descent.spark;

import dev.descent.Backend;
import dev.descent.Checkpoint;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.data.Dataset;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's share of synchronous data-parallel training: an ordinary {@link Session} on the
 * task's backend and rows, stepping through its partition {@code batchPerTask} rows at a time in
 * lockstep with the other tasks, which it keeps in agreement through a {@link Synchroniser}:
 * averaged gradients every step ({@link GradientAverage}, the one-process computation) or
 * averaged parameters every few steps ({@link ParameterAverage}).
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
            DeviceDataset data = n == 0 ? null : session.upload(dataset(rows, model));
            Synchroniser sync = config.syncEvery() == 1 ? new GradientAverage(session, exchange)
                    : new ParameterAverage(session, exchange, config.syncEvery());
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
                    if (take > 0) {
                        session.gatherBatch(data, from, take);
                    }
                    float lr = (float) (config.lr() * schedule.factor(iteration, steps, config.epochs()));
                    sync.step(take, lr, iteration++, s == steps - 1);
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

    /** Steps per epoch (the largest partition's) and the number of tasks, agreed by all tasks. */
    private static int[] shape(Exchange exchange, int rows, int batch) {
        int most = 0;
        byte[][] all = exchange.allGather(ByteBuffer.allocate(4).putInt(0, rows).array());
        for (byte[] m : all) {
            most = Math.max(most, ByteBuffer.wrap(m).getInt(0));
        }
        return new int[] {(most + batch - 1) / batch, all.length};
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
