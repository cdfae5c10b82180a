package dev.descent;

import dev.descent.data.Normalization;
import dev.descent.optim.OptimizerSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A training run's complete state, self-describing: the model (architecture, loss, weight init),
 * the optimizer with every hyperparameter and whether biases are decayed, the parameter arena,
 * every optimizer-state arena, the control block (step count, NAdam's mu product...), the input
 * normalisation and class labels of the data it was trained on, and free-form metadata (the CLI
 * keeps its options, epochs done and a fingerprint of the training data there). A checkpoint
 * alone rebuilds a training session ({@link #openSession}) or an inference-only
 * {@link Predictor}.
 *
 * <p>Written atomically ({@link dev.descent.internal.AtomicFile}) in the binary format of
 * {@link CheckpointCodec}, which ends with a CRC-32; a checkpoint never holds a non-finite value.
 */
public final class Checkpoint {
    private final Model model;
    private final OptimizerSpec optimizer;
    private final boolean decayBiases;
    private final float[] parameters;
    private final float[][] state;
    private final float[] control;
    private final Normalization normalization;
    private final List<String> classLabels;
    private final Map<String, String> metadata;

    Checkpoint(Model model, OptimizerSpec optimizer, boolean decayBiases, float[] parameters, float[][] state,
               float[] control, Normalization normalization, List<String> classLabels, Map<String, String> metadata) {
        this.model = model;
        this.optimizer = optimizer;
        this.decayBiases = decayBiases;
        this.parameters = parameters;
        this.state = state;
        this.control = control;
        this.normalization = normalization;
        this.classLabels = List.copyOf(classLabels);
        this.metadata = new LinkedHashMap<>(metadata);
    }

    /**
     * Snapshot of a session: downloads parameters, optimizer state and the control block.
     *
     * @param session a training session
     * @param metadata free-form key/value pairs stored with it (epoch, data set, command line)
     * @return the checkpoint, in memory until {@link #save}
     */
    public static Checkpoint of(Session session, Map<String, String> metadata) {
        float[][] state = new float[session.stateCount()][];
        for (int i = 0; i < state.length; i++) {
            state[i] = session.state(i);
        }
        return new Checkpoint(session.model(), session.optimizer(), session.decaysBiases(), session.parameters(), state,
                session.control(), null, List.of(), metadata);
    }

    /**
     * The same checkpoint recording how raw inputs were normalised before training ({@code null}:
     * not at all) and the name of each class ({@code labels.get(c)} for output c; empty: the
     * class indices themselves). Predictors apply the normalisation and report these names.
     *
     * @param normalization the per-feature shift and scale, or null
     * @param labels class names by output index, or empty
     * @return a new checkpoint
     */
    public Checkpoint withData(Normalization normalization, List<String> labels) {
        if (normalization != null && normalization.width() != 1 && normalization.width() != model.inputWidth()) {
            throw new IllegalArgumentException("normalization has " + normalization.width() + " columns, the model "
                    + model.inputWidth() + " inputs");
        }
        if (!labels.isEmpty() && labels.size() != model.outputWidth()) {
            throw new IllegalArgumentException(labels.size() + " class labels for a model with " + model.outputWidth()
                    + " outputs");
        }
        return new Checkpoint(model, optimizer, decayBiases, parameters, state, control, normalization, labels,
                metadata);
    }

    /**
     * The network, rebuilt from the stored architecture.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * The update rule and hyperparameters the run used.
     *
     * @return the optimizer spec
     */
    public OptimizerSpec optimizer() {
        return optimizer;
    }

    /**
     * Whether weight decay reaches the biases (the Session's {@code decayBiases}).
     *
     * @return the session's setting
     */
    public boolean decayBiases() {
        return decayBiases;
    }

    /**
     * The stored architecture string ({@link Model#architecture()}).
     *
     * @return e.g. "784-256:relu-10:identity/softmax_cross_entropy"
     */
    public String architecture() {
        return model.architecture();
    }

    /**
     * How raw inputs are normalised before they reach the network.
     *
     * @return the normalization, or empty when inputs are used as they are
     */
    public Optional<Normalization> normalization() {
        return Optional.ofNullable(normalization);
    }

    /**
     * Class names by output index.
     *
     * @return the names; empty when the classes are just their indices
     */
    public List<String> classLabels() {
        return classLabels;
    }

    /**
     * The free-form metadata.
     *
     * @return a copy
     */
    public Map<String, String> metadata() {
        return new LinkedHashMap<>(metadata);
    }

    /**
     * The stored parameter arena.
     *
     * @return a copy
     */
    public float[] parameters() {
        return parameters.clone();
    }

    float[][] stateArrays() {
        return state;
    }

    float[] controlBlock() {
        return control;
    }

    float[] parameterArray() {
        return parameters;
    }

    /**
     * A training session on {@code backend} in exactly the state this checkpoint recorded.
     *
     * @param backend where the session runs
     * @param maxBatch the largest batch the session will train on
     * @return the session
     */
    public Session openSession(Backend backend, int maxBatch) {
        Session s = new Session(model, backend, optimizer, maxBatch, decayBiases);
        try {
            restore(s);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Loads parameters, optimizer state and control into {@code session} after checking they fit.
     *
     * @param session a session of the same architecture and optimizer
     */
    public void restore(Session session) {
        if (!model.architecture().equals(session.model().architecture())) {
            throw new IllegalArgumentException("checkpoint architecture " + model.architecture()
                    + " does not match the model's " + session.model().architecture());
        }
        if (!optimizer.name().equals(session.optimizer().name())
                || !optimizer.stateNames().equals(session.optimizer().stateNames())) {
            throw new IllegalArgumentException("checkpoint optimizer " + optimizer.name() + " " + optimizer.stateNames()
                    + " does not match the session's " + session.optimizer().name() + " "
                    + session.optimizer().stateNames());
        }
        session.setParameters(parameters);
        for (int i = 0; i < state.length; i++) {
            session.setState(i, state[i]);
        }
        session.setControl(control);
    }

    /**
     * Writes atomically: a reader sees the old file or the new one, never a partial one.
     *
     * @param file the destination
     */
    public void save(Path file) {
        byte[] body = toBytes();
        dev.descent.internal.AtomicFile.write(file, "checkpoint", out -> out.write(body));
    }

    /**
     * The bytes {@link #save} writes, for stores that are not a local file system (a Spark
     * model's directory, a message between tasks).
     *
     * @return the encoded checkpoint, ending with its CRC-32
     */
    public byte[] toBytes() {
        refuseNonFinite(null, "parameters", parameters);
        for (int i = 0; i < state.length; i++) {
            refuseNonFinite(null, "optimizer state " + optimizer.stateNames().get(i), state[i]);
        }
        return CheckpointCodec.encode(this);
    }

    /**
     * Decodes and verifies bytes {@link #toBytes} wrote.
     *
     * @param bytes the encoded checkpoint
     * @param source where they came from, for messages
     * @return the checkpoint
     */
    public static Checkpoint fromBytes(byte[] bytes, String source) {
        return CheckpointCodec.decode(bytes, source);
    }

    /**
     * Reads and verifies a checkpoint; any damage is an IllegalArgumentException naming the file.
     *
     * @param file a file {@link #save} wrote
     * @return the checkpoint
     */
    public static Checkpoint load(Path file) {
        return CheckpointCodec.decode(file);
    }

    /** The step guard keeps every value finite; should one get through anyway, no file records it. */
    private static void refuseNonFinite(Path file, String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalStateException("refusing to write checkpoint" + (file == null ? "" : " " + file) + ": " + what + " element " + i
                        + " is " + values[i] + " (a checkpoint never holds non-finite values)");
            }
        }
    }
}
