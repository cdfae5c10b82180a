package dev.descent.spark;

import java.io.Serializable;

/**
 * One training row as Spark ships it between JVMs: the features and the class label.
 *
 * @param features the input, as wide as the model's input
 * @param label the class, in [0, classes)
 */
public record LabeledVector(float[] features, int label) implements Serializable {}
