package dev.descent.opencl;

/**
 * Whether Aparapi's logging and native warnings are silenced. Off by default: silencing takes
 * the process-wide {@code com.aparapi} logger level and, while devices are enumerated, points
 * file descriptor 2 at /dev/null, which would also hide other threads' stderr in a host
 * application. A command-line program that owns its process turns it on (descent's CLI does).
 * This class refers to no Aparapi type, so setting it never loads the OpenCL binding.
 */
public final class AparapiOutput {
    private static volatile boolean quiet;

    private AparapiOutput() {}

    /** Silence Aparapi for the rest of this process. */
    public static void quiet() {
        quiet = true;
    }

    /**
     * Whether {@link #quiet()} has been called.
     *
     * @return true once Aparapi is silenced
     */
    public static boolean isQuiet() {
        return quiet;
    }
}
