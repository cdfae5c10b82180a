package dev.descent.verify;

import dev.descent.Backend;
import dev.descent.ParameterSet;
import dev.descent.StepGuard;
import dev.descent.cpu.ReferenceBackend;
import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import java.util.List;
import java.util.Random;

/**
 * Multi-step optimizer parity (PyTorch's test_optim habit): every configuration in
 * {@link #CONFIGS} runs {@link #STEPS} steps on each size in {@link OpParity#SIZES} on the
 * backend under test and on the reference, with the same fresh gradients; step
 * {@link #NAN_STEP} carries a NaN so both must skip it. Parameters and every state buffer are
 * compared after every step, through the public {@link ParameterSet} API (two tensors: one with
 * weight decay, one without).
 */
public final class OptimizerParity {
    /** Steps per run: RAdam switches to its rectified branch at step 6, so 8 covers both. */
    public static final int STEPS = 8;
    /** This step's gradient contains a NaN: the guard must skip it on both backends. */
    public static final int NAN_STEP = 4;

    /**
     * A row of the capability table.
     *
     * @param name what it covers, such as {@code adam amsgrad wd}
     * @param spec the optimizer and its settings
     * @param guard the clipping and guard it runs under
     */
    public record Config(String name, OptimizerSpec spec, StepGuard guard) {}

    private static final StepGuard PLAIN = StepGuard.NONE;

    /** Every rule, with each option that changes its arithmetic (momentum, Nesterov, AMSGrad, centering, decay, clipping). */
    public static final List<Config> CONFIGS = List.of(
            new Config("sgd", Sgd.of(0.1), PLAIN),
            new Config("sgd momentum dampening wd", new Sgd(0.05, 0.9, 0.3, false, 0.01), PLAIN),
            new Config("sgd nesterov wd", new Sgd(0.05, 0.8, 0, true, 0.02), PLAIN),
            new Config("sgd clip-value", Sgd.momentum(0.1, 0.5), new StepGuard(0, 0.3, 10)),
            new Config("adam", Adam.adam(1e-2), PLAIN),
            new Config("adam amsgrad wd", Adam.adam(1e-2).withAmsgrad(true).withWeightDecay(0.05), PLAIN),
            new Config("adam clip-norm", Adam.adam(1e-2), new StepGuard(0.5, 0, 10)),
            new Config("adamw", Adam.adamW(1e-2), PLAIN),
            new Config("adamw amsgrad clip-both", Adam.adamW(1e-2).withAmsgrad(true), new StepGuard(1.0, 0.5, 10)),
            new Config("adagrad", Adagrad.of(0.05), PLAIN),
            new Config("adagrad lr-decay wd init", new Adagrad(0.05, 0.1, 0.01, 0.2, 1e-10), PLAIN),
            new Config("rmsprop", RmsProp.of(1e-2), PLAIN),
            new Config("rmsprop centered", new RmsProp(1e-2, 0.9, 1e-8, 0, 0, true), PLAIN),
            new Config("rmsprop momentum wd", new RmsProp(1e-2, 0.99, 1e-8, 0.01, 0.9, false), PLAIN),
            new Config("rmsprop centered momentum", new RmsProp(1e-2, 0.95, 1e-6, 0, 0.5, true), PLAIN),
            new Config("adadelta", Adadelta.of(1.0), PLAIN),
            new Config("adadelta wd", new Adadelta(0.5, 0.95, 1e-6, 0.01), PLAIN),
            new Config("nadam", NAdam.of(2e-3), PLAIN),
            new Config("nadam wd", new NAdam(1e-2, 0.8, 0.99, 1e-8, 0.01, 4e-3), PLAIN),
            new Config("radam", RAdam.of(1e-2), PLAIN),
            new Config("radam wd", new RAdam(1e-2, 0.9, 0.99, 1e-8, 0.01), PLAIN));

    private OptimizerParity() {}

    /**
     * Comparisons one full run makes (params + each state, per step, per size, per config).
     *
     * @return their count
     */
    public static int expectedChecks() {
        int total = 0;
        for (Config c : CONFIGS) {
            total += OpParity.SIZES.length * STEPS * (1 + c.spec().stateCount()) * 2;
        }
        return total;
    }

    /**
     * Runs the table on {@code test}, throwing at the first mismatch.
     *
     * @param test the backend under test
     * @param seed the gradients' and parameters' random seed
     * @return the number of comparisons made
     */
    public static int run(Backend test, long seed) {
        return run(test, seed, ParityLog.failFast());
    }

    /**
     * Runs the table on {@code test}, each configuration a family of {@code log}. Every parameter
     * set it builds is closed before it returns.
     *
     * @param test the backend under test
     * @param seed the gradients' and parameters' random seed
     * @param log where comparisons go
     * @return the number of comparisons made
     */
    public static int run(Backend test, long seed, ParityLog log) {
        return run(test, seed, log, OpParity.SIZES);
    }

    /**
     * As {@link #run(Backend, long, ParityLog)} on other parameter counts, e.g. ones large enough
     * that a multithreaded backend splits the update.
     *
     * @param test the backend under test
     * @param seed seeds the random parameters and gradients
     * @param log where comparisons go
     * @param sizes parameter counts, each split two thirds decayed and one third not
     * @return the number of comparisons made
     */
    public static int run(Backend test, long seed, ParityLog log, int[] sizes) {
        Random random = new Random(seed);
        ReferenceBackend ref = new ReferenceBackend();
        int checks = 0;
        for (Config c : CONFIGS) {
            for (int n : sizes) {
                int decayed = Math.max(1, n * 2 / 3);
                int plain = Math.max(1, n - decayed);
                float[] w = randn(random, decayed);
                float[] b = randn(random, plain);
                try (ParameterSet pt = build(test, c, w, b); ParameterSet pr = build(ref, c, w, b)) {
                    // Per tensor and state, the largest RMS the reference state has had so far.
                    double[][] peak = new double[2][c.spec().stateCount()];
                    for (int step = 1; step <= STEPS; step++) {
                        float[] gw = randn(random, decayed);
                        float[] gb = randn(random, plain);
                        if (step == NAN_STEP) {
                            gw[gw.length / 2] = Float.NaN;
                        }
                        pt.setGradients(gw, gb);
                        pr.setGradients(gw, gb);
                        pt.step();
                        pr.step();
                        String at = test.name() + " " + c.name() + " n=" + n + " step " + step;
                        log.require(c.name(), pt.lastStepSkipped() == (step == NAN_STEP),
                                at + ": skip flag " + pt.lastStepSkipped() + ", expected " + (step == NAN_STEP));
                        for (int tensor = 0; tensor < 2; tensor++) {
                            checks += compare(log, c.name(), at + " tensor " + tensor + " params", pt.download(tensor),
                                    pr.download(tensor), Tolerances.OPTIMIZER_FLOOR);
                            for (int s = 0; s < c.spec().stateCount(); s++) {
                                String state = c.spec().stateNames().get(s);
                                float[] reference = pr.downloadState(s, tensor);
                                peak[tensor][s] = Math.max(peak[tensor][s], rms(reference));
                                checks += compare(log, c.name(), at + " tensor " + tensor + " " + state,
                                        pt.downloadState(s, tensor), reference,
                                        stateFloor(termScale(c.spec(), state), peak[tensor][s]));
                            }
                        }
                    }
                    log.require(c.name(), pt.steps() == STEPS - 1, test.name() + " " + c.name() + " n=" + n + ": " + pt.steps()
                            + " steps counted, expected " + (STEPS - 1) + " (the NaN step must not count)");
                }
            }
        }
        return checks;
    }

    private static ParameterSet build(Backend backend, Config c, float[] w, float[] b) {
        ParameterSet ps = ParameterSet.builder(backend, c.spec()).add(w).addNoDecay(b).build();
        ps.setGuard(c.guard());
        return ps;
    }

    /**
     * How large the terms a state sums are, relative to O(1) gradients: a state that has
     * cancelled to a small value still carries the rounding of its terms, so its absolute floor
     * scales with them. RMSprop's momentum buffer adds g / sqrt(v), up to 1 / sqrt(1 - alpha)
     * (10 for alpha 0.99); with fused multiply-adds (the FMA emulator, as on a GPU) a single-element
     * buffer of 0.113 came out 2.3e-6 off after 7 steps, a few ulps of 10. Every other state
     * sums terms of order 1 or less.
     */
    static double termScale(OptimizerSpec spec, String state) {
        if (spec instanceof RmsProp r && state.equals("momentum_buffer")) {
            return 1 / Math.sqrt(1 - r.alpha());
        }
        return 1;
    }

    /**
     * The denominator floor of one state's comparison: {@link Tolerances#OPTIMIZER_FLOOR} times
     * its term scale, but never above the largest RMS the state itself has reached. A state whose
     * natural size is far below the floor (Adadelta's acc_delta, about 1e-6) is then compared
     * relative to its own scale, so a 10% error, or an all-zero state, fails; a state that has
     * cancelled from a larger value keeps the absolute floor its terms' rounding needs.
     */
    static double stateFloor(double termScale, double peakRms) {
        return Math.min(Tolerances.OPTIMIZER_FLOOR * termScale, peakRms);
    }

    private static double rms(float[] x) {
        double sum = 0;
        for (float v : x) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum / x.length);
    }

    private static int compare(ParityLog log, String family, String what, float[] tested, float[] reference,
                               double floor) {
        double err = Tolerances.relativeL2(tested, reference, floor);
        log.compare(family, what + (tested.length == 1 ? " (" + tested[0] + " vs " + reference[0] + ")" : ""), err,
                Tolerances.OPTIMIZER);
        return 1;
    }

    private static float[] randn(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
