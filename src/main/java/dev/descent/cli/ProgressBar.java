package dev.descent.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn in place with '\r' at most every 100 ms. Only drawn
 * when a console is attached, so logs and CI output stay clean.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private long lastDraw;
    private long epochStart;
    private int lastEpoch = -1;

    private ProgressBar(PrintStream out) {
        this.out = out;
    }

    /** A bar on stderr when a console is attached, otherwise null. */
    static ProgressBar forConsole() {
        return System.console() != null ? new ProgressBar(System.err) : null;
    }

    void update(int epoch, int epochs, int batch, int batches) {
        long now = System.nanoTime();
        if (epoch != lastEpoch) {
            lastEpoch = epoch;
            epochStart = now;
        }
        if (batch != batches && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) ((long) WIDTH * batch / batches);
        double elapsed = (now - epochStart) / 1e9;
        double eta = batch == 0 ? 0 : elapsed * (batches - batch) / batch;
        out.printf("\repoch %d/%d [%s%s] %d/%d  %.1fs elapsed, %.1fs left ", epoch, epochs,
                "=".repeat(filled), " ".repeat(WIDTH - filled), batch, batches, elapsed, eta);
        out.flush();
    }

    void clear() {
        out.print("\r" + " ".repeat(WIDTH + 70) + "\r");
        out.flush();
    }
}
