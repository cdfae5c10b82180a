package dev.descent.internal;

/**
 * Argument validation shared by the whole library. Every failure is an
 * {@link IllegalArgumentException} whose message names the parameter and the offending value,
 * so a user never has to guess which of several numbers was wrong.
 */
public final class Check {
    private Check() {}

    public static double positive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be a positive finite number, got " + value);
        }
        return value;
    }

    /** A positive value that a float32 kernel can use: finite and at most Float.MAX_VALUE. */
    public static double positiveFloat(String name, double value) {
        positive(name, value);
        if (value > Float.MAX_VALUE || (float) value == 0f) {
            throw new IllegalArgumentException(name + " must be within the float32 range [" + Float.MIN_VALUE + ", "
                    + Float.MAX_VALUE + "], got " + value);
        }
        return value;
    }

    /** A value {@code >= 0} that a float32 kernel can use: at most Float.MAX_VALUE. */
    public static double nonNegativeFloat(String name, double value) {
        nonNegative(name, value);
        if (value > Float.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be at most " + Float.MAX_VALUE
                    + " (the float32 range), got " + value);
        }
        return value;
    }

    public static double nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be >= 0 and finite, got " + value);
        }
        return value;
    }

    /** For betas, alpha, rho: {@code 0 <= value < 1}. */
    public static double unitInterval(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /** For rho-like values where 1 is allowed: {@code 0 <= value <= 1}. */
    public static double closedUnitInterval(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
        }
        return value;
    }

    public static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    public static void finite(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(name + " contains a non-finite value " + values[i] + " at index " + i);
            }
        }
    }

    /** An index in [0, size). */
    public static int index(String name, int value, int size) {
        if (value < 0 || value >= size) {
            throw new IllegalArgumentException(name + " must be in [0, " + size + "), got " + value);
        }
        return value;
    }

    public static void length(String name, float[] array, int expected) {
        if (array == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (array.length != expected) {
            throw new IllegalArgumentException(name + " has length " + array.length + ", expected " + expected);
        }
    }

    /**
     * The innermost cause's whole message: native loaders nest the useful part deep, and JCuda
     * puts the missing library ("libcuda.so.1: cannot open shared object file") on a later line.
     */
    public static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }

    /**
     * Why an I/O operation failed, in words: java.nio's file-system exceptions carry only the
     * path as their message, which alone would read as if the path were the error.
     */
    public static String ioReason(java.io.IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return String.valueOf(e.getMessage());
    }

    /** The first line of a message, for one-line reports. */
    public static String firstLine(String message) {
        return message.lines().findFirst().orElse(message);
    }

}
