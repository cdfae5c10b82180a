package dev.descent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code descent} command line. Errors are one line on stderr and a non-zero exit:
 * 2 for bad arguments, 1 for failures while running (unreadable data, unavailable backend),
 * 3 when the non-finite guard halted training.
 */
@Command(name = "descent", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Train dense neural networks on CPU, CUDA or OpenCL, then evaluate, predict with and export them.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class, DevicesCommand.class,
            CheckCommand.class,
            BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        int relaunched = VectorRelaunch.runWithVectorApi(args);
        System.exit(relaunched >= 0 ? relaunched : run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        // The CLI owns its process, so it may quiet Aparapi's warnings (the library does not).
        dev.descent.opencl.AparapiOutput.quiet();
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, argv) -> {
            ex.getCommandLine().getErr().println("descent: " + ex.getMessage() + suggestion(ex));
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable cause = ex;
            if (cause instanceof java.io.UncheckedIOException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            boolean usage = cause instanceof IllegalArgumentException;
            commandLine.getErr().println("descent: " + cause.getMessage());
            return usage ? 2 : 1;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Sizes are checked before allocating; this catches what no check foresaw.
            System.err.println("descent: out of memory (" + e.getMessage() + "); the JVM heap is "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB: raise it with -Xmx or use smaller sizes");
            return 1;
        }
    }

    /** For a misspelt option, the closest ones picocli knows ("did you mean --lr?"). */
    private static String suggestion(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            return "; did you mean " + String.join(" or ", u.getSuggestions()) + "? (see "
                    + u.getCommandLine().getCommandName() + " --help)";
        }
        return "";
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
