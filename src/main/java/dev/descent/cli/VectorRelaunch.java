package dev.descent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code java -jar descent.jar} cannot carry {@code --add-modules}, so the CPU backend would run
 * its slower auto-vectorized GEMM. When the JDK has the Vector API module but this JVM was started
 * without it, the CLI starts itself once more with the module added (same JVM options, same
 * arguments, same standard streams) and exits with that run's status. One extra JVM start (about
 * 0.2 s) buys a GEMM 2-4 times faster. Not done when a debugger or agent is attached (the second
 * JVM would fight over its port), when {@code -Ddescent.cpu.vector=false} asks for the scalar
 * GEMM, or when {@code DESCENT_RELAUNCHED} is set (the relaunched JVM itself, or a user who wants
 * one JVM).
 */
final class VectorRelaunch {
    static final String MODULE = "jdk.incubator.vector";
    static final String GUARD = "DESCENT_RELAUNCHED";

    private VectorRelaunch() {}

    /** The relaunched run's exit status, or -1 when this JVM should run the command itself. */
    static int runWithVectorApi(String[] args) {
        List<String> command = command(args);
        if (command == null) {
            return -1;
        }
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put(GUARD, "1");
        try {
            Process child = builder.start();
            // If this JVM is asked to stop, pass it on, so the child's own shutdown (an atomic
            // checkpoint write, say) runs and nothing is left behind.
            Thread stopChild = new Thread(child::destroy, "descent-relaunch-stop");
            Runtime.getRuntime().addShutdownHook(stopChild);
            int status = child.waitFor();
            Runtime.getRuntime().removeShutdownHook(stopChild);
            return status;
        } catch (IOException e) {
            return -1;  // cannot start another JVM here: run in this one, with the slower GEMM
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** The command that restarts this CLI with the module, or null when it should not. */
    static List<String> command(String[] args) {
        if (System.getenv(GUARD) != null || !dev.descent.cpu.CpuBackend.vectorApiAvailableButNotAdded()) {
            return null;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!Files.isExecutable(java)) {
            return null;
        }
        List<String> jvmOptions = inputArguments();
        if (jvmOptions == null || jvmOptions.stream().anyMatch(o -> o.startsWith("-agentlib") || o.startsWith("-javaagent")
                || o.startsWith("-Xrunjdwp") || o.startsWith("-agentpath"))) {
            return null;
        }
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("--add-modules");
        command.add(MODULE);
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        return command;
    }

    /** This JVM's options (-Xmx, -D...), or null where java.management is absent. */
    private static List<String> inputArguments() {
        try {
            return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        } catch (LinkageError e) {
            return null;
        }
    }
}
