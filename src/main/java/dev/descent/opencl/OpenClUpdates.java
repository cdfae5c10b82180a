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
        k.i0 = control;
        k.i1 = guard.maxBadSteps();
        k.i2 = rows;
        k.i3 = spec instanceof NAdam ? 1 : 0;
        k.f0 = (float) guard.maxNorm();
        k.f1 = batchIndex;
        k.f2 = spec instanceof NAdam n ? (float) n.beta1() : 0f;
        k.f3 = spec instanceof NAdam n ? (float) (n.momentumDecay() * LN_096) : 0f;
        backend.launch(ArenaKernel.BEGIN_STEP, backend.range1d(1));
    }

    private void betas(double beta1, double beta2, double eps) {
        k.f3 = (float) beta1;
        k.f4 = (float) beta2;
        k.f5 = (float) eps;
        k.f6 = (float) Math.log(beta1);
        k.f7 = (float) Math.log(beta2);
        k.f8 = (float) (1 - beta1);
        k.f9 = (float) (1 - beta2);
    }

    void step(OptimizerSpec spec, float lr, int p, int g, int[] s, int n, int decayEnd, float clip, int control) {
        k.i0 = p;
        k.i1 = g;
        k.i2 = s[0];
        k.i3 = s[1];
        k.i4 = s[2];
        k.i5 = n;
        k.i6 = decayEnd;
        k.i7 = control;
        k.f0 = lr;
        k.f1 = clip;
        k.f2 = (float) spec.weightDecay();
        this.s = s;
        int op = spec.match(this);
        k.i10 = coefficients;
        k.i11 = op;
        backend.launch(ArenaKernel.COEFFICIENTS, backend.range1d(1));
        backend.launch(op, backend.spanRange(n));
    }

    /** The step's state-buffer offsets, for the RMSprop case (a field, so a step allocates nothing). */
    private int[] s;

    // Each case sets the rule's coefficients on the kernel and returns its op code (a small
    // Integer, so boxing takes it from the JVM's cache rather than allocating).
    @Override
    public Integer sgd(Sgd o) {
        k.f3 = (float) o.momentum();
        k.f4 = (float) (1 - o.dampening());
        k.i8 = o.nesterov() ? 1 : 0;
        k.i9 = o.momentum() > 0 ? 1 : 0;
        return ArenaKernel.SGD;
    }

    @Override
    public Integer adam(Adam o) {
        betas(o.beta1(), o.beta2(), o.eps());
        k.i8 = o.decoupled() ? 1 : 0;
        k.i9 = o.amsgrad() ? 1 : 0;
        return ArenaKernel.ADAM;
    }

    @Override
    public Integer adagrad(Adagrad o) {
        k.f3 = (float) o.lrDecay();
        k.f4 = (float) o.eps();
        return ArenaKernel.ADAGRAD;
    }

    @Override
    public Integer rmsprop(RmsProp o) {
        // State order follows stateNames(): square_avg, [grad_avg], [momentum_buffer].
        k.i3 = o.centered() ? s[1] : -1;
        k.i4 = o.momentum() > 0 ? s[o.centered() ? 2 : 1] : -1;
        k.i8 = o.centered() ? 1 : 0;
        k.i9 = o.momentum() > 0 ? 1 : 0;
        k.f3 = (float) o.alpha();
        k.f4 = (float) (1 - o.alpha());
        k.f5 = (float) o.eps();
        k.f6 = (float) o.momentum();
        return ArenaKernel.RMSPROP;
    }

    @Override
    public Integer adadelta(Adadelta o) {
        k.f3 = (float) o.rho();
        k.f4 = (float) (1 - o.rho());
        k.f5 = (float) o.eps();
        return ArenaKernel.ADADELTA;
    }

    @Override
    public Integer nadam(NAdam o) {
        betas(o.beta1(), o.beta2(), o.eps());
        k.f6 = (float) (o.momentumDecay() * LN_096);
        return ArenaKernel.NADAM;
    }

    @Override
    public Integer radam(RAdam o) {
        betas(o.beta1(), o.beta2(), o.eps());
        k.f10 = (float) (2 / (1 - o.beta2()) - 1);
        return ArenaKernel.RADAM;
    }
}
