package dev.descent;

/**
 * Training losses, both averaged over the batch.
 * <ul>
 * <li>{@link #SOFTMAX_CROSS_ENTROPY}: targets are integer class labels (one per row, stored as
 * floats); loss = mean over rows of -log softmax(z)[label]; gradient (softmax(z) - onehot)/rows.</li>
 * <li>{@link #MSE}: targets are a rows x cols matrix; loss = mean over all elements of
 * (y - target)^2 (PyTorch's MSELoss); gradient 2(y - target)/(rows*cols).</li>
 * </ul>
 * The "loss sum" a backend reports is the batch loss times rows, so an epoch's mean loss is the
 * sum of batch sums divided by the number of samples whatever the batch sizes.
 */
public enum Loss {
    /** Softmax then negative log-likelihood of the label: classification. */
    SOFTMAX_CROSS_ENTROPY,
    /** Mean squared error: regression. */
    MSE;

    /**
     * Number of target floats per sample.
     *
     * @param cols the network's output width
     * @return 1 (a label) for cross-entropy, {@code cols} for MSE
     */
    public int targetWidth(int cols) {
        return this == SOFTMAX_CROSS_ENTROPY ? 1 : cols;
    }
}
