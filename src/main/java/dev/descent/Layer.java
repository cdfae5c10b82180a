package dev.descent;

/**
 * One dense layer: {@code out = act(in * W + b)} with W stored row-major as inputs x units, so
 * the forward product is NN, the weight gradient TN and the input gradient NT. Offsets are into
 * the model's arena.
 */
public record Layer(int inputs, int units, Activation activation, int weightOffset, int biasOffset) {

    /**
     * Weights in the layer.
     *
     * @return inputs x units
     */
    public int weightCount() {
        return inputs * units;
    }
}
