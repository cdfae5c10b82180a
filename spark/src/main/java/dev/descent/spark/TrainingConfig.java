package dev.descent.spark;

import dev.descent.Init;
import dev.descent.Model;
import dev.descent.StepGuard;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.OptimizerSpecs;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every task needs to build the same replica, in a form Spark can serialise: the model as
 * its architecture string, the optimizer as its checkpoint description.
 *
 * @param architecture the model, as {@link Model#architecture()} writes it
 * @param init the weight initialisation's name
 * @param optimizer the optimizer, as {@link OptimizerSpecs#describe} writes it
 * @param epochs passes over the data
 * @param batchPerTask rows each task contributes to one step; the global batch is this times
 *     the number of tasks
 * @param lr learning rate
 * @param seed initialisation and shuffling seed
 * @param shuffle whether each task reshuffles its rows every epoch (seeded by seed, epoch and
 *     partition)
 * @param maxNorm global-norm clipping threshold over the global gradient, 0 for none
 * @param backend backend name for each task ({@code cpu}, {@code opencl}, {@code cuda}); a task
 *     given a GPU by Spark opens the CUDA device it was given
 */
public record TrainingConfig(String architecture, String init, Map<String, String> optimizer, int epochs,
        int batchPerTask, float lr, long seed, boolean shuffle, double maxNorm, String backend)
        implements Serializable {

    /** Checks every value, naming the one that is wrong. */
    public TrainingConfig {
        Model.parse(architecture, Init.parse(init));
        OptimizerSpecs.parse(optimizer);
        optimizer = new LinkedHashMap<>(optimizer);
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchPerTask < 1) {
            throw new IllegalArgumentException("batchPerTask must be >= 1, got " + batchPerTask);
        }
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("lr must be a finite number > 0, got " + lr);
        }
        if (!(maxNorm >= 0) || !Double.isFinite(maxNorm)) {
            throw new IllegalArgumentException("maxNorm must be finite and >= 0, got " + maxNorm);
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
     * @return the configuration, shuffling each epoch, without clipping, on the CPU backend
     */
    public static TrainingConfig of(Model model, OptimizerSpec optimizer, int epochs, int batchPerTask, float lr, long seed) {
        return new TrainingConfig(model.architecture(), model.init().name(), OptimizerSpecs.describe(optimizer), epochs,
                batchPerTask, lr, seed, true, 0, "cpu");
    }

    /** @return this configuration with shuffling on or off */
    TrainingConfig withShuffle(boolean on) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, on, maxNorm, backend);
    }

    /** @return this configuration with global-norm clipping at {@code norm} */
    TrainingConfig withMaxNorm(double norm) {
        return new TrainingConfig(architecture, init, optimizer, epochs, batchPerTask, lr, seed, shuffle, norm, backend);
    }

    Model model() {
        return Model.parse(architecture, Init.parse(init));
    }

    OptimizerSpec optimizerSpec() {
        return OptimizerSpecs.parse(optimizer);
    }

    StepGuard guard() {
        return new StepGuard(maxNorm, 0, StepGuard.DEFAULT_MAX_BAD_STEPS);
    }
}
