package dev.descent;

/** Mean loss and accuracy (NaN for regression) over {@code samples} rows. */
public record Evaluation(double loss, double accuracy, int samples) {}
