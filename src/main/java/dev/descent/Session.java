package dev.descent;

import dev.descent.internal.Check;
import dev.descent.internal.StepLogic;
import dev.descent.internal.Lifecycle;
import dev.descent.internal.Memory;
import dev.descent.data.Dataset;
import dev.descent.optim.OptimizerSpec;
import java.util.List;

/**
 * A model bound to a backend: the parameter arena, the gradient arena and one arena per
 * optimizer state buffer (all with the same layout), the control block, and a workspace for
 * activations sized for {@code maxBatch} rows. Everything is allocated here, once; forward,
 * backward and step only launch kernels.
 *
 * <p>Workspace layout (row-major, maxBatch rows each): the input X, then Z and A for every
 * layer; two scratch blocks for the backward pass (dA and dZ, maxBatch x widest layer), and the
 * batch targets.
 *
 * <p>Threading: every method locks the backend for its whole duration, so sessions that share
 * a backend, or threads that share a session, are serialised (a training step from each thread
 * runs whole, in some order). After {@link #close} every method throws IllegalStateException.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final Backend backend;
    private final OptimizerSpec optimizer;
    private final int maxBatch;
    private final int decayEnd;
    private final Buf params;
    private final Buf grads;
    private final Buf[] state;
    private final Buf control;
    private final Buf acts;
    private final Buf deltaA;
    private final Buf deltaZ;
    private final Buf targets;
    private final int[] zOffset;
    private final int[] aOffset;
    private final boolean training;
    private StepGuard guard = StepGuard.NONE;
    private final Lifecycle life = new Lifecycle("session");

    /**
     * A training session: parameters (all zero until set or drawn by {@link #create}),
     * gradients, optimizer state, the control block and batch workspaces, all on {@code backend}.
     *
     * @param model the network
     * @param backend where every buffer lives and every op runs
     * @param optimizer the update rule
     * @param maxBatch the largest batch the workspaces hold
     * @param decayBiases whether biases receive weight decay (PyTorch's default is yes; many
     *                    recipes turn it off)
     */
    public Session(Model model, Backend backend, OptimizerSpec optimizer, int maxBatch, boolean decayBiases) {
        this(model, backend, requireOptimizer(optimizer), maxBatch, decayBiases, true);
    }

    /** Checked before the constructor allocates anything. */
    private static OptimizerSpec requireOptimizer(OptimizerSpec optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer must not be null (Session.forInference has none)");
        }
        return optimizer;
    }

    /**
     * A session that only runs the network forward ({@link #predict}, {@link #evaluate}): no
     * gradients, optimizer state or backward workspace are allocated, so it takes about a third
     * of a training session's memory. Training methods throw IllegalStateException.
     *
     * @param model the network
     * @param backend where the buffers live
     * @param maxBatch the largest batch predicted or evaluated at once
     * @return the session; close it to free its device memory
     */
    public static Session forInference(Model model, Backend backend, int maxBatch) {
        return new Session(model, backend, null, maxBatch, false, false);
    }

    private Session(Model model, Backend backend, OptimizerSpec optimizer, int maxBatch, boolean decayBiases,
                    boolean training) {
        if (model == null || backend == null) {
            throw new IllegalArgumentException("model and backend must not be null");
        }
        this.training = training;
        this.model = model;
        this.backend = backend;
        this.optimizer = optimizer;
        this.maxBatch = Check.atLeast("maxBatch", maxBatch, 1);
        this.decayEnd = decayBiases ? model.parameterCount() : model.biasStart();
        int n = model.parameterCount();
        List<Layer> layers = model.layers();
        zOffset = new int[layers.size()];
        aOffset = new int[layers.size()];
        long offset = (long) maxBatch * model.inputWidth();
        for (int l = 0; l < layers.size(); l++) {
            long block = Model.align((long) maxBatch * layers.get(l).units());
            zOffset[l] = (int) Math.min(offset, Integer.MAX_VALUE);
            offset += block;
            aOffset[l] = (int) Math.min(offset, Integer.MAX_VALUE);
            offset += block;
        }
        long scratch = (long) maxBatch * model.maxWidth();
        if (offset > Model.MAX_BUFFER || scratch > Model.MAX_BUFFER) {
            throw new IllegalArgumentException("maxBatch " + maxBatch + " needs a workspace of " + Math.max(offset, scratch)
                    + " floats for model " + model.architecture() + ", over the " + Model.MAX_BUFFER
                    + "-float limit of one buffer (use a smaller batch or model)");
        }
        int stateCount = this.training ? optimizer.stateCount() : 0;
        long floats = this.training ? (long) n * (2 + stateCount) + offset + 2 * scratch : n + offset;
        floats += (long) maxBatch * model.loss().targetWidth(model.outputWidth()) + Control.SIZE;
        Memory.require(backend, floats, "model " + model.architecture() + (this.training ? " with " + optimizer.name()
                + " at maxBatch " + maxBatch + " (parameters, gradients, " + stateCount + " state buffers, workspace)"
                : " for inference at maxBatch " + maxBatch + " (parameters, workspace)"));
        params = backend.allocate(n);
        grads = this.training ? backend.allocate(n) : null;
        state = new Buf[stateCount];
        for (int i = 0; i < state.length; i++) {
            state[i] = backend.allocate(n);
        }
        control = backend.allocate(Control.SIZE);
        acts = backend.allocate((int) offset);
        deltaA = this.training ? backend.allocate((int) scratch) : null;
        deltaZ = this.training ? backend.allocate((int) scratch) : null;
        targets = backend.allocate(maxBatch * model.loss().targetWidth(model.outputWidth()));
        if (this.training) {
            resetOptimizer();
        } else {
            backend.upload(Control.initial(), 0, control, 0, Control.SIZE);
        }
    }

    /**
     * A training session whose weights are drawn from {@code seed} ({@link Init}) and whose
     * biases decay with the weights.
     *
     * @param model the network
     * @param backend where every buffer lives
     * @param optimizer the update rule
     * @param maxBatch the largest batch
     * @param seed seed of the initial weights
     * @return the session
     */
    public static Session create(Model model, Backend backend, OptimizerSpec optimizer, int maxBatch, long seed) {
        Session s = new Session(model, backend, optimizer, maxBatch, true);
        s.setParameters(model.initialParameters(seed));
        return s;
    }

    /**
     * The network this session trains.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * The backend the session runs on.
     *
     * @return the backend
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The optimizer; an inference-only session has none and throws IllegalStateException.
     *
     * @return the update rule
     */
    public OptimizerSpec optimizer() {
        requireTraining();
        return optimizer;
    }

    /**
     * Whether this session can only predict and evaluate.
     *
     * @return true for a session made by {@link #forInference}
     */
    public boolean isInferenceOnly() {
        return !training;
    }

    /**
     * Whether weight decay reaches the biases.
     *
     * @return the constructor's {@code decayBiases}
     */
    public boolean decaysBiases() {
        return decayEnd == model.parameterCount();
    }

    private void requireTraining() {
        if (!training) {
            throw new IllegalStateException("this session is inference-only (Session.forInference): it has no"
                    + " gradients or optimizer state");
        }
    }

    /**
     * The largest batch the workspaces hold.
     *
     * @return rows
     */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Where weight decay stops in the parameter arena.
     *
     * @return elements [0, decayEnd) receive weight decay
     */
    public int decayEnd() {
        return decayEnd;
    }

    /**
     * Sets gradient clipping and the non-finite-step halt threshold for the following steps.
     *
     * @param guard the guard; null means {@link StepGuard#NONE}
     */
    public void setGuard(StepGuard guard) {
        this.guard = guard == null ? StepGuard.NONE : guard;
    }

    /**
     * The guard in force.
     *
     * @return clipping and halt settings
     */
    public StepGuard guard() {
        return guard;
    }

    /** Zeroes every optimizer state buffer and the control block (step count 0). */
    public void resetOptimizer() {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            for (Buf s : state) {
                backend.fill(s, 0, s.length(), (float) optimizer.initialState());
            }
            backend.upload(Control.initial(), 0, control, 0, Control.SIZE);
        }
    }

    /**
     * Uploads a dataset for {@link #gatherBatch} and {@link #evaluate}.
     *
     * @param data rows whose width matches the model's input and output
     * @return the device copy; close it to free its memory
     */
    public DeviceDataset upload(Dataset data) {
        synchronized (backend) {
            ensureOpen();
            checkData(data);
            return new DeviceDataset(backend, data);
        }
    }

    private void checkData(Dataset data) {
        if (data.cols() != model.inputWidth()) {
            throw new IllegalArgumentException("data has " + data.cols() + " feature columns, model expects "
                    + model.inputWidth());
        }
        int tw = model.loss().targetWidth(model.outputWidth());
        if (data.targetWidth() != tw) {
            throw new IllegalArgumentException("data has target width " + data.targetWidth() + ", the "
                    + model.loss() + " loss of this model needs " + tw);
        }
        if (model.loss() == Loss.SOFTMAX_CROSS_ENTROPY && data.classes() > model.outputWidth()) {
            throw new IllegalArgumentException("data has " + data.classes() + " classes, model outputs only "
                    + model.outputWidth());
        }
    }

    /**
     * Copies rows {@code order[from .. from+rows)} of {@code data} into the batch workspace, on
     * the device, where {@code order} is the data set's current shuffle.
     *
     * @param data an uploaded data set
     * @param from first position in the order
     * @param rows rows in the batch, at most {@link #maxBatch}
     */
    public void gatherBatch(DeviceDataset data, int from, int rows) {
        synchronized (backend) {
            ensureOpen();
            checkRows(rows);
            data.ensureOpen();
            if (from < 0 || from + rows > data.rows()) {
                throw new IllegalArgumentException("batch [" + from + ", " + (from + rows) + ") is outside the "
                        + data.rows() + " rows of the dataset");
            }
            backend.gatherRows(data.features, model.inputWidth(), data.order, from, rows, acts);
            backend.gatherRows(data.targets, data.host().targetWidth(), data.order, from, rows, targets);
        }
    }

    /**
     * Uploads a host batch into the workspace.
     *
     * @param x inputs, rows x input width
     * @param y targets: labels as floats for cross-entropy, rows x output width for MSE
     * @param rows rows in the batch
     */
    public void loadBatch(float[] x, float[] y, int rows) {
        synchronized (backend) {
            ensureOpen();
            checkRows(rows);
            boolean labels = model.loss() == Loss.SOFTMAX_CROSS_ENTROPY;
            Dataset checked = Dataset.of(x, rows, model.inputWidth(), y, model.loss().targetWidth(model.outputWidth()),
                    labels ? model.outputWidth() : 0);
            backend.upload(checked.features(), 0, acts, 0, rows * model.inputWidth());
            backend.upload(checked.targets(), 0, targets, 0, checked.targets().length);
        }
    }

    private void checkRows(int rows) {
        if (rows < 1 || rows > maxBatch) {
            throw new IllegalArgumentException("rows must be in [1, " + maxBatch + "] (the session's maxBatch), got " + rows);
        }
    }

    /**
     * Forward pass over the batch in the workspace: Z = A_prev W, then Z += b, A = act(Z) fused.
     *
     * @param rows rows in the batch
     */
    public void forward(int rows) {
        synchronized (backend) {
            ensureOpen();
            checkRows(rows);
            int inOffset = 0;
            for (int l = 0; l < model.layers().size(); l++) {
                Layer layer = model.layers().get(l);
                backend.gemm(false, false, rows, layer.units(), layer.inputs(), 1f, acts, inOffset,
                        params, layer.weightOffset(), 0f, acts, zOffset[l]);
                backend.biasActivation(layer.activation(), rows, layer.units(), acts, zOffset[l],
                        params, layer.biasOffset(), acts, aOffset[l]);
                inOffset = aOffset[l];
            }
        }
    }

    /**
     * Loss and its gradient, then back through every layer: dW = A_prev^T dZ, db = sum dZ,
     * dA_prev = dZ W^T.
     *
     * @param rows rows in the batch
     */
    public void backward(int rows) {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            checkRows(rows);
            List<Layer> layers = model.layers();
            int last = layers.size() - 1;
            backend.loss(model.loss(), rows, model.outputWidth(), acts, aOffset[last], targets, 0, deltaA, 0,
                    control, false);
            for (int l = last; l >= 0; l--) {
                Layer layer = layers.get(l);
                backend.activationBackward(layer.activation(), rows * layer.units(), acts, zOffset[l], deltaA, 0, deltaZ, 0);
                int inOffset = l == 0 ? 0 : aOffset[l - 1];
                backend.gemm(true, false, layer.inputs(), layer.units(), rows, 1f, acts, inOffset, deltaZ, 0,
                        0f, grads, layer.weightOffset());
                backend.biasGradient(rows, layer.units(), deltaZ, 0, grads, layer.biasOffset());
                if (l > 0) {
                    backend.gemm(false, true, rows, layer.inputs(), layer.units(), 1f, deltaZ, 0,
                            params, layer.weightOffset(), 0f, deltaA, 0);
                }
            }
        }
    }

    /**
     * Norm, guard and the fused update, all on the device.
     *
     * @param lr learning rate of this step
     * @param batchIndex the batch's index in the run, named in reports of bad steps
     * @param rows rows in the batch
     */
    public void step(float lr, long batchIndex, int rows) {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            Check.positive("lr", lr);
            int n = model.parameterCount();
            float clip = (float) guard.clipValue();
            backend.gradientNorm(grads, n, clip, control);
            backend.beginStep(optimizer, guard, batchIndex, rows, control);
            backend.step(optimizer, lr, params, grads, state, n, decayEnd, clip, control);
        }
    }

    /**
     * One training step on the batch in the workspace: forward, backward and step, bracketed as one
     * repeated step (see {@link Backend#beginRepeatedStep}), so a backend that records steps (CUDA
     * Graphs) replays it; the batch got there by {@link #loadBatch} or {@link #gatherBatch}.
     *
     * @param rows rows in the batch
     * @param lr learning rate
     * @param batchIndex the batch's index in the run
     */
    public void trainBatch(int rows, float lr, long batchIndex) {
        synchronized (backend) {
            repeatedStep(null, 0, rows, lr, batchIndex);
        }
    }

    /**
     * Marks the shape of a step that starts at the forward pass, so that it and a step that
     * gathers its batch first (two more launches) are recorded apart.
     */
    private static final int WITHOUT_GATHER = 1 << 30;

    /** Gather (when {@code data} is given), forward, backward and step, as one repeated step. */
    private void repeatedStep(DeviceDataset data, int from, int rows, float lr, long batchIndex) {
        ensureOpen();
        requireTraining();
        checkRows(rows);
        Check.positive("lr", lr);
        backend.beginRepeatedStep(data == null ? rows | WITHOUT_GATHER : rows);
        boolean completed = false;
        try {
            if (data != null) {
                gatherBatch(data, from, rows);
            }
            forward(rows);
            backward(rows);
            step(lr, batchIndex, rows);
            completed = true;
        } finally {
            backend.endRepeatedStep(completed);
        }
    }

    /**
     * One training step on rows {@code order[from .. from+rows)} of {@code data}: gather, forward,
     * backward and step, as {@link #gatherBatch} then {@link #trainBatch}, bracketed as one
     * repeated step with the gather inside, so a backend that records steps (CUDA Graphs) replays
     * all of it. This is what {@link Trainer} calls.
     *
     * @param data an uploaded data set
     * @param from first position in the order
     * @param rows rows in the batch
     * @param lr learning rate
     * @param batchIndex the batch's index in the run
     */
    public void trainBatch(DeviceDataset data, int from, int rows, float lr, long batchIndex) {
        synchronized (backend) {
            java.util.Objects.requireNonNull(data, "data");  // null would mean "no gather" below
            repeatedStep(data, from, rows, lr, batchIndex);
        }
    }

    /**
     * Network outputs for host inputs, in batches of {@link #maxBatch}.
     *
     * @param x inputs, rows x input width
     * @param rows samples
     * @return outputs, rows x output width (logits for cross-entropy models)
     */
    public float[] predict(float[] x, int rows) {
        synchronized (backend) {
            ensureOpen();
            Check.atLeast("rows", rows, 1);
            Check.length("x", x, rows * model.inputWidth());
            Check.finite("x", x);
            int out = model.outputWidth();
            float[] result = new float[rows * out];
            int last = model.layers().size() - 1;
            for (int from = 0; from < rows; from += maxBatch) {
                int n = Math.min(maxBatch, rows - from);
                backend.upload(x, from * model.inputWidth(), acts, 0, n * model.inputWidth());
                forward(n);
                backend.download(acts, aOffset[last], result, from * out, n * out);
            }
            return result;
        }
    }

    /**
     * Predicted classes for host inputs.
     *
     * @param x inputs, rows x input width
     * @param rows samples
     * @return the argmax output per row
     */
    public int[] predictClasses(float[] x, int rows) {
        return Predictor.argmax(predict(x, rows), model.outputWidth());
    }

    /**
     * Mean loss and accuracy over a whole data set, in batches of {@link #maxBatch}; parameters
     * are not touched.
     *
     * @param data an uploaded data set
     * @return loss and accuracy
     */
    public Evaluation evaluate(DeviceDataset data) {
        synchronized (backend) {
            ensureOpen();
            backend.fill(control, Control.EVAL_LOSS_SUM, 2, 0f);
            data.resetOrder();
            int last = model.layers().size() - 1;
            for (int from = 0; from < data.rows(); from += maxBatch) {
                int n = Math.min(maxBatch, data.rows() - from);
                gatherBatch(data, from, n);
                forward(n);
                backend.loss(model.loss(), n, model.outputWidth(), acts, aOffset[last], targets, 0, null, 0,
                        control, true);
            }
            float[] c = control();
            double accuracy = model.loss() == Loss.SOFTMAX_CROSS_ENTROPY ? c[Control.EVAL_CORRECT_SUM] / data.rows() : Double.NaN;
            return new Evaluation(c[Control.EVAL_LOSS_SUM] / data.rows(), accuracy, data.rows());
        }
    }

    /**
     * Like {@link #evaluate(DeviceDataset)} for a host data set, uploaded for the call.
     *
     * @param data the data set
     * @return loss and accuracy
     */
    public Evaluation evaluate(Dataset data) {
        synchronized (backend) {
            ensureOpen();
            try (DeviceDataset d = upload(data)) {
                return evaluate(d);
            }
        }
    }

    /**
     * Downloads the control block (one small copy; see {@link Control}), with the latest step's
     * verdict settled as the device's next {@code beginStep} would settle it ({@link StepLogic#settle}).
     *
     * @return {@link Control#SIZE} floats
     */
    public float[] control() {
        synchronized (backend) {
            ensureOpen();
            float[] c = new float[Control.SIZE];
            backend.download(control, 0, c, 0, Control.SIZE);
            return StepLogic.settled(c, guard.maxBadSteps());
        }
    }

    /**
     * Replaces the control block (a checkpoint's step count and sums, on resume).
     *
     * @param c {@link Control#SIZE} floats
     */
    public void setControl(float[] c) {
        synchronized (backend) {
            ensureOpen();
            Check.length("control", c, Control.SIZE);
            backend.upload(c, 0, control, 0, Control.SIZE);
        }
    }

    /** Zeroes the epoch sums (loss, correct, samples) in the control block. */
    public void resetEpochSums() {
        synchronized (backend) {
            ensureOpen();
            backend.fill(control, Control.LOSS_SUM, 3, 0f);
        }
    }

    /**
     * Completed optimizer steps (skipped steps do not count).
     *
     * @return the step count
     */
    public long steps() {
        return (long) control()[Control.STEP];
    }

    /**
     * Downloads the parameter arena: every layer's weights (row-major, inputs x units), then
     * every layer's biases, each at its {@link Layer} offset, with zero padding between.
     *
     * @return a copy of every parameter
     */
    public float[] parameters() {
        synchronized (backend) {
            ensureOpen();
            return download(params);
        }
    }

    /**
     * Uploads a whole parameter arena, laid out as {@link #parameters} returns it.
     *
     * @param arena finite values, {@link Model#parameterCount} of them
     */
    public void setParameters(float[] arena) {
        synchronized (backend) {
            ensureOpen();
            Check.length("parameters", arena, model.parameterCount());
            Check.finite("parameters", arena);
            backend.upload(arena, 0, params, 0, arena.length);
        }
    }

    /**
     * Downloads the gradients of the last backward pass, laid out like the parameters.
     *
     * @return a copy of the gradient arena
     */
    public float[] gradients() {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            return download(grads);
        }
    }

    /**
     * Replaces the gradients of the last backward pass, laid out like the parameters, before
     * {@link #step}: data-parallel training averages the replicas' gradients and steps every
     * replica with the same average (the descent-spark module does).
     *
     * @param gradients {@link Model#parameterCount} values; non-finite ones are allowed, since the
     *     step's guard must see them and skip the step on every replica alike
     */
    public void setGradients(float[] gradients) {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            Check.length("gradients", gradients, model.parameterCount());
            backend.upload(gradients, 0, grads, 0, gradients.length);
        }
    }

    /**
     * Optimizer state buffers (Adam: 2, or 3 with AMSGrad).
     *
     * @return the optimizer's state count; 0 for an inference session
     */
    public int stateCount() {
        return state.length;
    }

    /**
     * Downloads one optimizer state buffer, laid out like the parameters.
     *
     * @param i index in the optimizer's {@code stateNames()}
     * @return a copy of the state
     */
    public float[] state(int i) {
        synchronized (backend) {
            ensureOpen();
            return download(state[i]);
        }
    }

    /**
     * Uploads one optimizer state buffer (from a checkpoint).
     *
     * @param i index in the optimizer's {@code stateNames()}
     * @param values one value per parameter
     */
    public void setState(int i, float[] values) {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            Check.length("state " + optimizer.stateNames().get(i), values, model.parameterCount());
            backend.upload(values, 0, state[i], 0, values.length);
        }
    }

    /** For tests that need the exact device contents (e.g. the reference backend's doubles). */
    Buf parameterBuffer() {
        return params;
    }

    Buf gradientBuffer() {
        return grads;
    }

    Buf controlBuffer() {
        return control;
    }

    /**
     * {@link #parameters()} into a caller's array, for loops that read the parameters every few
     * steps (data-parallel averaging) and must not allocate.
     *
     * @param into {@link Model#parameterCount} floats
     * @return {@code into}
     */
    public float[] parameters(float[] into) {
        synchronized (backend) {
            ensureOpen();
            return download(params, into);
        }
    }

    /**
     * {@link #gradients()} into a caller's array, for loops that read the gradient every step.
     *
     * @param into {@link Model#parameterCount} floats
     * @return {@code into}
     */
    public float[] gradients(float[] into) {
        synchronized (backend) {
            ensureOpen();
            requireTraining();
            return download(grads, into);
        }
    }

    /**
     * {@link #state(int)} into a caller's array.
     *
     * @param i index in the optimizer's {@code stateNames()}
     * @param into {@link Model#parameterCount} floats
     * @return {@code into}
     */
    public float[] state(int i, float[] into) {
        synchronized (backend) {
            ensureOpen();
            return download(state[i], into);
        }
    }

    private float[] download(Buf buf) {
        return download(buf, new float[model.parameterCount()]);
    }

    private float[] download(Buf buf, float[] out) {
        Check.length("into", out, model.parameterCount());
        backend.download(buf, 0, out, 0, out.length);
        return out;
    }

    /** Use after close, of this session or of its backend, is an IllegalStateException. */
    private void ensureOpen() {
        life.check();
        backend.ensureOpen();
    }

    /** Frees every buffer; a second call does nothing, and any later use throws IllegalStateException. */
    @Override
    public void close() {
        synchronized (backend) {
            if (!life.close() || backend.isClosed()) {
                return;
            }
            for (Buf b : new Buf[] {params, grads, control, acts, deltaA, deltaZ, targets}) {
                if (b != null) {
                    backend.free(b);
                }
            }
            for (Buf s : state) {
                backend.free(s);
            }
        }
    }
}
