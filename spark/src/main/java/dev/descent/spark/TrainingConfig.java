package dev.descent.spark;

import dev.descent.Init;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.StepGuard;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.OptimizerSpecs;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every task needs to build the same replica, in a form Spark can serialise: the model as
 * its architecture string, the optimizer as its checkpoint description, the schedule as the
 * CLI's {@code --schedule} text.
 *
 * @param architecture the model, as {@link Model#architecture()} writes it
 * @param init the weight initialisation's name
 * @param optimizer the optimizer, as {@link OptimizerSpecs#describe} writes it
 * @param epochs passes over the data
 * @param batchPerTask rows each task contributes to one step; the global batch is this times
 *     the number of tasks
 * @param lr base learning rate
 * @param seed initialisation and shuffling seed
 * @param shuffle whether each task reshuffles its rows every epoch (seeded by seed, epoch and
 *     partition)
 * @param maxNorm global-norm clipping threshold over the global gradient, 0 for none
 * @param clipValue element-wise clipping bound, 0 for none
 * @param schedule learning-rate schedule, as {@link Schedule#parse} reads it
 * @param backend backend name for each task ({@code cpu}, {@code opencl}, {@code cuda}); a task
 *     given a GPU by Spark opens the CUDA device it was given
 * @param checkpointDir a directory every task can read and task 0 can write (a shared mount on
 *     a cluster), where the last completed epoch's checkpoint is kept so a retried stage resumes
 *     from it; empty for none
 * @param exchange how tasks exchange gradients every step: {@code ring} (direct TCP between
 *     tasks, Spark only for the rendezvous) or {@code barrier} (Spark's
 *     {@code BarrierTaskContext.allGather}, about a second per call; for networks where tasks
 *     cannot reach each other)
 * @param exchangeTimeoutSeconds how long a task waits for a neighbour's message before failing
 *     the stage
 * @param syncEvery 1: the tasks average their gradients every step, which is exactly one process
 *     training on the global batch; K &gt; 1: each task steps on its own rows and the tasks average
 *     their parameters and optimizer state every K steps and at the end of every epoch (local
 *     SGD, K times fewer exchanges, no longer the one-process computation)
 * @param fault a test hook that fails one task once, or null
 */
public record TrainingConfig(String architecture, String init, Map<String, String> optimizer, int epochs,
        int batchPerTask, float lr, long seed, boolean shuffle, double maxNorm, double clipValue, String schedule,
        String backend, String checkpointDir, String exchange, int exchangeTimeoutSeconds, int syncEvery,
        FaultPlan fault)
        implements Serializable {

    /** The default read timeout of the ring: long enough for a slow first step on a busy GPU. */
    public static final int DEFAULT_EXCHANGE_TIMEOUT_SECONDS = 600;

    /** Checks every value, naming the one that is wrong. */
    public TrainingConfig {
        Model.parse(architecture, Init.parse(init));
        OptimizerSpecs.parse(optimizer);
        optimizer = new LinkedHashMap<>(optimizer);
        Schedule.parse(schedule);
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchPerTask < 1) {
            throw new IllegalArgumentException("batchPerTask must be >= 1, got " + batchPerTask);
        }
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("lr must be a finite number > 0, got " + lr);
        }
        new StepGuard(maxNorm, clipValue, StepGuard.DEFAULT_MAX_BAD_STEPS);
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("backend must name a backend (cpu, opencl, cuda), got '" + backend + "'");
        }
        checkpointDir = checkpointDir == null ? "" : checkpointDir;
        if (!"ring".equals(exchange) && !"barrier".equals(exchange)) {
            throw new IllegalArgumentException("exchange must be ring or barrier, got '" + exchange + "'");
        }
        if (syncEvery < 1) {
            throw new IllegalArgumentException("syncEvery must be >= 1, got " + syncEvery);
        }
        if (exchangeTimeoutSeconds < 1) {
            throw new IllegalArgumentException("exchangeTimeoutSeconds must be >= 1, got " + exchangeTimeoutSeconds);
        }
    }

    /**
     * A configuration from the library's own types.
     *
     * @param model the network
     * @param optimizer the optimizer
     * @param epochs passes over the data
     * @param batchPerTask rows per task per step
     * @param lr learning rate
     * @param seed seed
     * @return the configuration: shuffling each epoch, a constant rate, no clipping, the CPU
     *     backend, no checkpoints
     */
    public static TrainingConfig of(Model model, OptimizerSpec optimizer, int epochs, int batchPerTask, float lr, long seed) {
        return new TrainingConfig(model.architecture(), model.init().name(), OptimizerSpecs.describe(optimizer), epochs,
                batchPerTask, lr, seed, true, 0, 0, "constant", "cpu", "", "ring",
                DEFAULT_EXCHANGE_TIMEOUT_SECONDS, 1, null);
    }

    /** @param on whether tasks reshuffle every epoch @return the changed configuration */
    public TrainingConfig withShuffle(boolean on) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, on, maxNorm, clipValue,
                schedule, backend, checkpointDir, exchange, exchangeTimeoutSeconds, syncEvery, fault);
    }

    /** @param norm global-norm threshold (0: off) @param value element bound (0: off) @return the changed configuration */
    public TrainingConfig withClipping(double norm, double value) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, norm, value,
                schedule, backend, checkpointDir, exchange, exchangeTimeoutSeconds, syncEvery, fault);
    }

    /** @param text a schedule as {@link Schedule#parse} reads it @return the changed configuration */
    public TrainingConfig withSchedule(String text) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, maxNorm,
                clipValue, text, backend, checkpointDir, exchange, exchangeTimeoutSeconds, syncEvery, fault);
    }

    /** @param name the backend tasks without a GPU open @return the changed configuration */
    public TrainingConfig withBackend(String name) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, maxNorm,
                clipValue, schedule, name, checkpointDir, exchange, exchangeTimeoutSeconds, syncEvery, fault);
    }

    /** @param dir the shared checkpoint directory (empty: none) @return the changed configuration */
    public TrainingConfig withCheckpointDir(String dir) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, maxNorm,
                clipValue, schedule, backend, dir, exchange, exchangeTimeoutSeconds, syncEvery, fault);
    }

    /** @param kind ring or barrier @return the changed configuration */
    public TrainingConfig withExchange(String kind) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, maxNorm,
                clipValue, schedule, backend, checkpointDir, kind, exchangeTimeoutSeconds, syncEvery, fault);
    }

    /**
     * @param steps 1 to average gradients every step; K &gt; 1 to average parameters every K steps
     * @return the changed configuration
     */
    public TrainingConfig withSyncEvery(int steps) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, maxNorm,
                clipValue, schedule, backend, checkpointDir, exchange, exchangeTimeoutSeconds, steps, fault);
    }

    TrainingConfig withFault(FaultPlan plan) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, maxNorm,
                clipValue, schedule, backend, checkpointDir, exchange, exchangeTimeoutSeconds, syncEvery, plan);
    }

    Model model() {
        return Model.parse(architecture, Init.parse(init));
    }

    OptimizerSpec optimizerSpec() {
        return OptimizerSpecs.parse(optimizer);
    }

    StepGuard guard() {
        return new StepGuard(maxNorm, clipValue, StepGuard.DEFAULT_MAX_BAD_STEPS);
    }

    /**
     * What makes a checkpoint from this run resumable by another attempt of it: everything that
     * decides the trajectory (the epoch count aside, which a longer run may extend).
     */
    String fingerprint(int tasks) {
        return String.join("|", architecture, init, optimizer.toString(), Integer.toString(batchPerTask),
                Float.toString(lr), Long.toString(seed), Boolean.toString(shuffle), Double.toString(maxNorm),
                Double.toString(clipValue), schedule, Integer.toString(syncEvery), Integer.toString(tasks));
    }
}
