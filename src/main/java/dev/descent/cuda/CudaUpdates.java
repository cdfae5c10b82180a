package dev.descent.cuda;

import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;

/**
 * Launches the fused update kernels of kernels/cuda/optim.cu: one launch over the whole arena,
 * four elements per thread iteration. Hyperparameters that feed complements or powers (betas,
 * alpha, rho) travel as doubles so the kernel can form 1 - beta in double, as the reference does.
 */
final class CudaUpdates implements OptimizerSpec.Cases<Void> {
    private final CudaDevice device;
    private final KernelArgs args;
    private final CudaOps ops;
    private final int sgd, adam, adagrad, rmsprop, adadelta, nadam, radam;

    CudaUpdates(CudaOps ops) {
        this.ops = ops;
        this.device = ops.device;
        this.args = ops.args;
        sgd = device.function("sgd_step");
        adam = device.function("adam_step");
        adagrad = device.function("adagrad_step");
        rmsprop = device.function("rmsprop_step");
        adadelta = device.function("adadelta_step");
        nadam = device.function("nadam_step");
        radam = device.function("radam_step");
    }

    /** A pointer argument for state buffer i, or null when the configuration keeps fewer. */
    private KernelArgs state(DeviceMemory[] s, int i) {
        return optional(i < s.length ? s[i] : null);
    }

    private KernelArgs optional(DeviceMemory mem) {
        return mem != null ? args.ptr(mem, 0) : args.nullPtr();
    }

    // The step being set up: the rule's case reads these (fields, so a step allocates nothing).
    private DeviceMemory[] s;
    private long n;
    private long decayEnd;
    private float lr;
    private int kernel;

    void step(OptimizerSpec spec, float lr, DeviceMemory p, DeviceMemory g, DeviceMemory[] s, long n, long decayEnd,
              float clip, DeviceMemory control) {
        int grid = ops.grid((n + 3) / 4);
        args.clear().ptr(p, 0).ptr(g, 0);
        this.s = s;
        this.n = n;
        this.decayEnd = decayEnd;
        this.lr = lr;
        spec.match(this);
        args.f(clip).ptr(control, 0);
        device.launch(kernel, grid, 1, CudaOps.THREADS, args);
    }

    @Override
    public Void sgd(Sgd o) {
        kernel = sgd;
        state(s, 0).l(n).l(decayEnd).f(lr).f((float) o.momentum()).f((float) (1 - o.dampening()))
                .flag(o.nesterov()).f((float) o.weightDecay());
        return null;
    }

    @Override
    public Void adam(Adam o) {
        kernel = adam;
        state(s, 0);
        state(s, 1);
        state(s, 2).l(n).l(decayEnd).f(lr).d(o.beta1()).d(o.beta2()).f((float) o.eps())
                .f((float) o.weightDecay()).flag(o.decoupled()).flag(o.amsgrad());
        return null;
    }

    @Override
    public Void adagrad(Adagrad o) {
        kernel = adagrad;
        state(s, 0).l(n).l(decayEnd).f(lr).d(o.lrDecay()).f((float) o.eps()).f((float) o.weightDecay());
        return null;
    }

    @Override
    public Void rmsprop(RmsProp o) {
        kernel = rmsprop;
        args.ptr(s[0], 0);
        // State order follows stateNames(): square_avg, [grad_avg], [momentum_buffer].
        DeviceMemory gradAvg = o.centered() ? s[1] : null;
        DeviceMemory buf = o.momentum() > 0 ? s[o.centered() ? 2 : 1] : null;
        optional(gradAvg);
        optional(buf).l(n).l(decayEnd).f(lr).d(o.alpha()).f((float) o.eps())
                .f((float) o.weightDecay()).f((float) o.momentum()).flag(o.centered());
        return null;
    }

    @Override
    public Void adadelta(Adadelta o) {
        kernel = adadelta;
        args.ptr(s[0], 0).ptr(s[1], 0).l(n).l(decayEnd).f(lr).d(o.rho()).f((float) o.eps())
                .f((float) o.weightDecay());
        return null;
    }

    @Override
    public Void nadam(NAdam o) {
        kernel = nadam;
        args.ptr(s[0], 0).ptr(s[1], 0).l(n).l(decayEnd).f(lr).d(o.beta1()).d(o.beta2()).f((float) o.eps())
                .f((float) o.weightDecay()).d(o.momentumDecay());
        return null;
    }

    @Override
    public Void radam(RAdam o) {
        kernel = radam;
        args.ptr(s[0], 0).ptr(s[1], 0).l(n).l(decayEnd).f(lr).d(o.beta1()).d(o.beta2()).f((float) o.eps())
                .f((float) o.weightDecay());
        return null;
    }
}
