package dev.descent;

import dev.descent.internal.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * A dense network's architecture and arena layout (no numbers: those live in a {@link Session}).
 *
 * <p>Arena layout: all weight matrices first, then all bias vectors, each view starting on a
 * multiple of 4 floats (16 bytes, for vector loads on devices; the padding stays zero). With
 * biases at the end, "no weight decay on biases" is a single boundary, {@link #biasStart()}, and
 * an optimizer step stays one launch.
 */
public final class Model {
    static final int ALIGN = 4;

    private final int inputWidth;
    private final List<Layer> layers;
    private final Loss loss;
    private final Init init;
    private final int biasStart;
    private final int parameterCount;

    private Model(int inputWidth, List<Layer> layers, Loss loss, Init init, int biasStart, int parameterCount) {
        this.inputWidth = inputWidth;
        this.layers = List.copyOf(layers);
        this.loss = loss;
        this.init = init;
        this.biasStart = biasStart;
        this.parameterCount = parameterCount;
    }

    /**
     * Starts a model: add dense layers, then {@link Builder#build}.
     *
     * @param inputWidth features per sample
     * @return a builder (softmax cross-entropy and He init unless set)
     */
    public static Builder builder(int inputWidth) {
        return new Builder(inputWidth);
    }

    /**
     * Features per sample.
     *
     * @return the input width
     */
    public int inputWidth() {
        return inputWidth;
    }

    /**
     * Outputs per sample: the last layer's units (classes for cross-entropy).
     *
     * @return the output width
     */
    public int outputWidth() {
        return layers.get(layers.size() - 1).units();
    }

    /**
     * The dense layers, input side first, with their arena offsets.
     *
     * @return an unmodifiable list
     */
    public List<Layer> layers() {
        return layers;
    }

    /**
     * The training loss.
     *
     * @return the loss
     */
    public Loss loss() {
        return loss;
    }

    /**
     * How {@link #initialParameters} draws the weights.
     *
     * @return the initialisation
     */
    public Init init() {
        return init;
    }

    /**
     * Arena length, padding included.
     *
     * @return floats in the parameter arena
     */
    public int parameterCount() {
        return parameterCount;
    }

    /**
     * Index of the first bias element; every weight lies before it.
     *
     * @return the arena offset where the biases begin
     */
    public int biasStart() {
        return biasStart;
    }

    /**
     * The widest activation (inputs included): sizes the per-row workspace.
     *
     * @return floats per row
     */
    public int maxWidth() {
        int w = inputWidth;
        for (Layer l : layers) {
            w = Math.max(w, l.units());
        }
        return w;
    }

    /**
     * The architecture as a string; checkpoints store and compare it.
     *
     * @return e.g. "784-256:relu-128:relu-10:identity/softmax_cross_entropy"
     */
    public String architecture() {
        return inputWidth + "-" + layers.stream()
                .map(l -> l.units() + ":" + l.activation().name().toLowerCase(java.util.Locale.ROOT))
                .collect(Collectors.joining("-")) + "/" + loss.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The model an {@link #architecture()} string describes.
     *
     * @param architecture the string, as {@link #architecture()} writes it
     * @param init the weight initialisation
     * @return the model
     * @throws IllegalArgumentException naming the string when it is malformed
     */
    public static Model parse(String architecture, Init init) {
        String[] lossSplit = architecture.split("/");
        String[] parts = lossSplit[0].split("-");
        try {
            if (lossSplit.length != 2 || parts.length < 2) {
                throw new IllegalArgumentException("expected INPUT-UNITS:ACTIVATION-.../LOSS");
            }
            Builder b = builder(Integer.parseInt(parts[0])).init(init)
                    .loss(Loss.valueOf(lossSplit[1].toUpperCase(java.util.Locale.ROOT)));
            for (int i = 1; i < parts.length; i++) {
                String[] layer = parts[i].split(":");
                if (layer.length != 2) {
                    throw new IllegalArgumentException("layer '" + parts[i] + "' is not UNITS:ACTIVATION");
                }
                b.dense(Integer.parseInt(layer[0]), Activation.parse(layer[1]));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            // NumberFormatException is one too: every malformed string ends here with the string named.
            throw new IllegalArgumentException("architecture '" + architecture + "' is malformed: " + e.getMessage());
        }
    }

    /**
     * A fresh arena: weights drawn with {@link #init()} from {@code seed}, biases and padding zero.
     *
     * @param seed the random seed
     * @return {@link #parameterCount()} floats
     */
    public float[] initialParameters(long seed) {
        float[] arena = new float[parameterCount];
        SplittableRandom random = new SplittableRandom(seed);
        for (Layer l : layers) {
            init.fill(arena, l.weightOffset(), l.inputs(), l.units(), random);
        }
        return arena;
    }

    static int align(int n) {
        return Math.toIntExact(align((long) n));
    }

    /** Rounds up to the arena alignment in long, so sizes near 2^31 cannot wrap. */
    static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** The most floats one buffer (arena, workspace) may hold: Java arrays and device offsets are int. */
    public static final long MAX_BUFFER = Integer.MAX_VALUE - 16;

    /** Fluent construction; {@link #build()} validates. */
    public static final class Builder {
        private final int inputWidth;
        private final List<int[]> units = new ArrayList<>();
        private final List<Activation> activations = new ArrayList<>();
        private Loss loss = Loss.SOFTMAX_CROSS_ENTROPY;
        private Init init = Init.HE_UNIFORM;

        Builder(int inputWidth) {
            this.inputWidth = Check.atLeast("inputWidth", inputWidth, 1);
        }

        /**
         * Appends a fully connected layer.
         *
         * @param units outputs of the layer
         * @param activation applied to its outputs (IDENTITY for the logits layer)
         * @return this builder
         */
        public Builder dense(int units, Activation activation) {
            Check.atLeast("units of layer " + (this.units.size() + 1), units, 1);
            if (activation == null) {
                throw new IllegalArgumentException("activation of layer " + (this.units.size() + 1) + " must not be null");
            }
            this.units.add(new int[] {units});
            this.activations.add(activation);
            return this;
        }

        /**
         * Sets the training loss.
         *
         * @param loss the loss
         * @return this builder
         */
        public Builder loss(Loss loss) {
            if (loss == null) {
                throw new IllegalArgumentException("loss must not be null");
            }
            this.loss = loss;
            return this;
        }

        /**
         * Sets how the weights are drawn.
         *
         * @param init the initialisation
         * @return this builder
         */
        public Builder init(Init init) {
            if (init == null) {
                throw new IllegalArgumentException("init must not be null");
            }
            this.init = init;
            return this;
        }

        private IllegalArgumentException tooMany(long parameters, int layer) {
            return new IllegalArgumentException("model has at least " + parameters + " parameters by layer " + (layer + 1)
                    + " (widths " + widths() + "); one arena holds at most " + MAX_BUFFER + " floats");
        }

        private String widths() {
            StringBuilder b = new StringBuilder().append(inputWidth);
            for (int[] u : units) {
                b.append('-').append(u[0]);
            }
            return b.toString();
        }

        /**
         * Lays out the arena and checks the architecture.
         *
         * @return the model
         * @throws IllegalArgumentException without layers, with a 1-wide softmax output, or when the
         *         parameters exceed one buffer
         */
        public Model build() {
            if (units.isEmpty()) {
                throw new IllegalArgumentException("a model needs at least one dense layer");
            }
            if (loss == Loss.SOFTMAX_CROSS_ENTROPY && units.get(units.size() - 1)[0] < 2) {
                throw new IllegalArgumentException("softmax cross-entropy needs an output width >= 2, got "
                        + units.get(units.size() - 1)[0]);
            }
            long offset = 0;
            int fanIn = inputWidth;
            long[] weightOffsets = new long[units.size()];
            for (int i = 0; i < units.size(); i++) {
                weightOffsets[i] = offset;
                offset += align((long) fanIn * units.get(i)[0]);
                fanIn = units.get(i)[0];
                if (offset > MAX_BUFFER) {
                    throw tooMany(offset, i);
                }
            }
            long biasStart = offset;
            List<Layer> layers = new ArrayList<>();
            fanIn = inputWidth;
            for (int i = 0; i < units.size(); i++) {
                int u = units.get(i)[0];
                layers.add(new Layer(fanIn, u, activations.get(i), (int) weightOffsets[i], (int) offset));
                offset += align(u);
                fanIn = u;
            }
            if (offset > MAX_BUFFER) {
                throw tooMany(offset, units.size() - 1);
            }
            return new Model(inputWidth, layers, loss, init, (int) biasStart, (int) offset);
        }
    }
}
