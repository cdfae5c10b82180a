package dev.descent.opencl;

import dev.descent.StepGuard;
import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;

/**
 * Argument setup for begin_step and the fused update ops of {@link ArenaKernel}. Everything the
 * kernel cannot form accurately in float is formed here in double and rounded once: the
 * complements 1 - beta, ln(beta) for 1 - beta^t = -expm1(t ln beta), and rho_inf.
 */
final class OpenClUpdates implements OptimizerSpec.Cases<Integer> {
    private static final double LN_096 = Math.log(0.96);
    private final OpenClBackend backend;
    private final ArenaKernel k;
    /** Heap offset of the per-step scalars the COEFFICIENTS op writes (4 floats). */
    private final int coefficients;

    OpenClUpdates(OpenClBackend backend, ArenaKernel k, int coefficients) {
        this.backend = backend;
        this.k = k;
        this.coefficients = coefficients;
    }

    void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, int control) {
        boolean nadam = spec instanceof NAdam;
        k.beginStepArgs(control, guard.maxBadSteps(), rows, nadam, (float) guard.maxNorm(), batchIndex,
                spec instanceof NAdam n ? (float) n.beta1() : 0f,
                spec instanceof NAdam n ? (float) (n.momentumDecay() * LN_096) : 0f);
        backend.launch(ArenaKernel.BEGIN_STEP, backend.range1d(1));
    }

    private void betas(double beta1, double beta2, double eps) {
        k.betaArgs((float) beta1, (float) beta2, (float) eps, (float) Math.log(beta1), (float) Math.log(beta2),
                (float) (1 - beta1), (float) (1 - beta2));
    }

    void step(OptimizerSpec spec, float lr, int p, int g, int[] s, int n, int decayEnd, float clip, int control) {
        k.updateArgs(p, g, s[0], s[1], s[2], n, decayEnd, control, coefficients, lr, clip, (float) spec.weightDecay());
        this.s = s;
        int op = spec.match(this);
        k.coefficientsFor(op);
        backend.launch(ArenaKernel.COEFFICIENTS, backend.range1d(1));
        backend.launch(op, backend.spanRange(n));
    }

    /** The step's state-buffer offsets, for the RMSprop case (a field, so a step allocates nothing). */
    private int[] s;

    // Each case sets the rule's coefficients on the kernel and returns its op code (a small
    // Integer, so boxing takes it from the JVM's cache rather than allocating).
    @Override
    public Integer sgd(Sgd o) {
        k.sgdArgs((float) o.momentum(), (float) (1 - o.dampening()), o.nesterov(), o.momentum() > 0);
        return ArenaKernel.SGD;
    }

    @Override
    public Integer adam(Adam o) {
        betas(o.beta1(), o.beta2(), o.eps());
        k.adamArgs(o.decoupled(), o.amsgrad());
        return ArenaKernel.ADAM;
    }

    @Override
    public Integer adagrad(Adagrad o) {
        k.adagradArgs((float) o.lrDecay(), (float) o.eps());
        return ArenaKernel.ADAGRAD;
    }

    @Override
    public Integer rmsprop(RmsProp o) {
        // State order follows stateNames(): square_avg, [grad_avg], [momentum_buffer].
        k.rmspropArgs(o.centered() ? s[1] : -1, o.momentum() > 0 ? s[o.centered() ? 2 : 1] : -1, o.centered(),
                o.momentum() > 0, (float) o.alpha(), (float) (1 - o.alpha()), (float) o.eps(), (float) o.momentum());
        return ArenaKernel.RMSPROP;
    }

    @Override
    public Integer adadelta(Adadelta o) {
        k.adadeltaArgs((float) o.rho(), (float) (1 - o.rho()), (float) o.eps());
        return ArenaKernel.ADADELTA;
    }

    @Override
    public Integer nadam(NAdam o) {
        betas(o.beta1(), o.beta2(), o.eps());
        k.nadamArgs((float) (o.momentumDecay() * LN_096));
        return ArenaKernel.NADAM;
    }

    @Override
    public Integer radam(RAdam o) {
        betas(o.beta1(), o.beta2(), o.eps());
        k.radamArgs((float) (2 / (1 - o.beta2()) - 1));
        return ArenaKernel.RADAM;
    }
}
