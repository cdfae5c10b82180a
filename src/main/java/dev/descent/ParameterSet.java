package dev.descent;

import dev.descent.internal.Check;
import dev.descent.internal.StepLogic;
import dev.descent.internal.Lifecycle;
import dev.descent.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Any optimizer applied to the caller's own float arrays, on any backend, without a
 * {@link Model}: the arrays are uploaded once into one arena (decayed tensors first, so "no
 * weight decay" is one boundary), each {@link #step} is one fused launch, and values come back
 * only when asked.
 *
 * <pre>{@code
 * try (ParameterSet ps = ParameterSet.builder(backend, Adam.adamW(1e-3)).add(w).addNoDecay(b).build()) {
 *     for (...) { ps.setGradients(gw, gb); ps.step(); }
 *     float[] trained = ps.download(0);
 * }
 * }</pre>
 */
public final class ParameterSet implements AutoCloseable {
    private final Backend backend;
    private final OptimizerSpec spec;
    private final int[] offsets;
    private final int[] lengths;
    private final int length;
    private final int decayEnd;
    private final Buf params;
    private final Buf grads;
    private final Buf[] state;
    private final Buf control;
    private StepGuard guard = StepGuard.NONE;
    private final Lifecycle life = new Lifecycle("parameter set");

    /** Tensor i (in the order added) lives at arena slot slotOf[i]; decayed tensors come first. */
    private final int[] slotOf;
    private long stepCalls;

    private ParameterSet(Backend backend, OptimizerSpec spec, List<float[]> tensors, List<Boolean> decay) {
        this.backend = backend;
        this.spec = spec;
        int count = tensors.size();
        slotOf = new int[count];
        int slot = 0;
        for (boolean pass : new boolean[] {true, false}) {
            for (int i = 0; i < count; i++) {
                if (decay.get(i) == pass) {
                    slotOf[i] = slot++;
                }
            }
        }
        offsets = new int[count];
        lengths = new int[count];
        long offset = 0;
        long decayBoundary = 0;
        for (int s = 0; s < count; s++) {
            int i = indexOfSlot(s);
            offsets[s] = (int) offset;
            lengths[s] = tensors.get(i).length;
            offset += Model.align(lengths[s]);
            if (decay.get(i)) {
                decayBoundary = offset;
            }
            if (offset > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("parameters total " + offset + " floats, over the arena limit");
            }
        }
        length = (int) offset;
        decayEnd = (int) decayBoundary;
        params = backend.allocate(length);
        grads = backend.allocate(length);
        state = new Buf[spec.stateCount()];
        float init = (float) spec.initialState();
        for (int s = 0; s < state.length; s++) {
            state[s] = backend.allocate(length);
            backend.fill(state[s], 0, length, init);
        }
        control = backend.allocate(Control.SIZE);
        backend.upload(Control.initial(), 0, control, 0, Control.SIZE);
        for (int i = 0; i < count; i++) {
            backend.upload(tensors.get(i), 0, params, offsets[slotOf[i]], lengths[slotOf[i]]);
        }
    }

    private int indexOfSlot(int s) {
        for (int i = 0; i < slotOf.length; i++) {
            if (slotOf[i] == s) {
                return i;
            }
        }
        throw new AssertionError(s);
    }

    /**
     * Starts a parameter set: add tensors, then {@link Builder#build}.
     *
     * @param backend where the arena, gradients and state live
     * @param spec the update rule
     * @return a builder
     */
    public static Builder builder(Backend backend, OptimizerSpec spec) {
        return new Builder(backend, spec);
    }

    /** Collects tensors: {@link #add} receives weight decay, {@link #addNoDecay} does not. */
    public static final class Builder {
        private final Backend backend;
        private final OptimizerSpec spec;
        private final List<float[]> tensors = new ArrayList<>();
        private final List<Boolean> decay = new ArrayList<>();

        Builder(Backend backend, OptimizerSpec spec) {
            if (backend == null || spec == null) {
                throw new IllegalArgumentException("backend and optimizer spec must not be null");
            }
            this.backend = backend;
            this.spec = spec;
        }

        /**
         * Adds a tensor that receives weight decay (a weight).
         *
         * @param values its initial values, finite; copied
         * @return this builder
         */
        public Builder add(float[] values) {
            return add(values, true);
        }

        /**
         * Adds a tensor without weight decay (a bias, a norm's scale).
         *
         * @param values its initial values, finite; copied
         * @return this builder
         */
        public Builder addNoDecay(float[] values) {
            return add(values, false);
        }

        private Builder add(float[] values, boolean decayed) {
            if (values == null || values.length == 0) {
                throw new IllegalArgumentException("tensor " + tensors.size() + " is null or empty");
            }
            Check.finite("tensor " + tensors.size(), values);
            tensors.add(values.clone());
            decay.add(decayed);
            return this;
        }

        /**
         * Uploads the tensors into one arena and allocates gradients and optimizer state.
         *
         * @return the parameter set; close it to free its device memory
         */
        public ParameterSet build() {
            if (tensors.isEmpty()) {
                throw new IllegalArgumentException("a parameter set needs at least one tensor");
            }
            return new ParameterSet(backend, spec, tensors, decay);
        }
    }

    /**
     * Tensors in the set.
     *
     * @return how many were added
     */
    public int tensorCount() {
        return slotOf.length;
    }

    /**
     * Sets clipping and the non-finite-step halt threshold for the following steps.
     *
     * @param guard the guard; null means {@link StepGuard#NONE}
     */
    public void setGuard(StepGuard guard) {
        this.guard = guard == null ? StepGuard.NONE : guard;
    }

    /**
     * Uploads one gradient per tensor, in the order the tensors were added.
     *
     * @param gradients one array per tensor, each as long as its tensor
     */
    public void setGradients(float[]... gradients) {
        synchronized (backend) {
            ensureOpen();
            if (gradients.length != slotOf.length) {
                throw new IllegalArgumentException("got " + gradients.length + " gradients for " + slotOf.length + " tensors");
            }
            for (int i = 0; i < gradients.length; i++) {
                int slot = slotOf[i];
                Check.length("gradient " + i, gradients[i], lengths[slot]);
                backend.upload(gradients[i], 0, grads, offsets[slot], lengths[slot]);
            }
        }
    }

    /** One update at the spec's learning rate. */
    public void step() {
        synchronized (backend) {
            ensureOpen();
            step(spec.lr());
        }
    }

    /**
     * One fused update at {@code lr}. Non-finite gradients skip the step (see {@link StepGuard});
     * {@link #lastStepSkipped()} tells.
     *
     * @param lr the learning rate, positive and finite in float
     */
    public void step(double lr) {
        synchronized (backend) {
            ensureOpen();
            Check.positiveFloat("lr", lr);
            float clip = (float) guard.clipValue();
            backend.gradientNorm(grads, length, clip, control);
            backend.beginStep(spec, guard, stepCalls++, 0, control);
            backend.step(spec, (float) lr, params, grads, state, length, decayEnd, clip, control);
        }
    }

    /**
     * Completed (non-skipped) steps; reads the control block.
     *
     * @return the step count
     */
    public long steps() {
        synchronized (backend) {
            ensureOpen();
            return (long) readControl()[Control.STEP];
        }
    }

    /**
     * Whether the latest step was skipped for a non-finite loss or gradient, or a halt.
     *
     * @return true when it changed nothing
     */
    public boolean lastStepSkipped() {
        synchronized (backend) {
            ensureOpen();
            return readControl()[Control.SKIP] != 0;
        }
    }

    /**
     * Bad steps so far: skipped ones, and ones whose update held back non-finite values.
     *
     * @return the count
     */
    public long badSteps() {
        synchronized (backend) {
            ensureOpen();
            return (long) readControl()[Control.BAD_TOTAL];
        }
    }

    /**
     * True when the latest step's update would have made some element non-finite: those
     * elements kept their previous values, the others were updated, and the step counted as bad.
     *
     * @return whether the latest update held values back
     */
    public boolean lastStepOverflowed() {
        synchronized (backend) {
            ensureOpen();
            float[] raw = new float[Control.SIZE];
            backend.download(control, 0, raw, 0, Control.SIZE);
            return raw[Control.PENDING] != 0 && raw[Control.OUTPUT_BAD] != 0;
        }
    }

    private float[] readControl() {
        float[] c = new float[Control.SIZE];
        backend.download(control, 0, c, 0, Control.SIZE);
        return StepLogic.settled(c, guard.maxBadSteps());
    }

    /**
     * Current values of one tensor.
     *
     * @param i the tensor, in the order added
     * @return a copy of its values
     */
    public float[] download(int i) {
        synchronized (backend) {
            ensureOpen();
            return download(params, i);
        }
    }

    /**
     * One optimizer state buffer of one tensor.
     *
     * @param s the state, an index into {@link OptimizerSpec#stateNames()}
     * @param i the tensor, in the order added
     * @return a copy of the state's values for that tensor
     */
    public float[] downloadState(int s, int i) {
        synchronized (backend) {
            ensureOpen();
            return download(state[s], i);
        }
    }

    private float[] download(Buf buf, int i) {
        int slot = slotOf[i];
        float[] out = new float[lengths[slot]];
        backend.download(buf, offsets[slot], out, 0, out.length);
        return out;
    }

    private void ensureOpen() {
        life.check();
        backend.ensureOpen();
    }

    /** Frees the arena; a second call does nothing, and any later use throws IllegalStateException. */
    @Override
    public void close() {
        synchronized (backend) {
            if (!life.close() || backend.isClosed()) {
                return;
            }
            backend.free(params);
            backend.free(grads);
            backend.free(control);
            for (Buf s : state) {
                backend.free(s);
            }
        }
    }
}
