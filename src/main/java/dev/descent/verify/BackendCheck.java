package dev.descent.verify;

import dev.descent.Backend;
import java.util.function.Supplier;

/**
 * Checks a backend on the machine it runs on against descent's double-precision reference:
 * every op of the backend contract on ragged shapes, every optimizer configuration over eight
 * steps (one with a NaN gradient that must be skipped), and a short training run against the
 * CPU backend. The same harness the test suites run, with a log that collects every result
 * instead of stopping at the first; what {@code descent check} prints.
 */
public final class BackendCheck {
    private BackendCheck() {}

    /**
     * Runs the whole check. A backend that throws (a kernel the driver rejects, say) ends it with
     * that exception; a result outside its tolerance is a mismatch in the log.
     *
     * @param open opens the backend under test; called twice (the op and optimizer checks share
     *             one instance, the training run opens its own), and each is closed here
     * @param seed the random inputs' seed, so a mismatch can be reproduced
     * @return the log: {@link ParityLog#passed()} tells the verdict
     */
    public static ParityLog run(Supplier<? extends Backend> open, long seed) {
        ParityLog log = ParityLog.collecting();
        try (Backend backend = open.get()) {
            new OpParity(backend, seed, log).runAllOps();
            OptimizerParity.run(backend, seed + 1, log);
        }
        TrainingParity.againstReference(open, TrainingParity.SMALL_MODEL, TrainingParity.threeClassProblem(), 3, 16, 0.02, log);
        return log;
    }

    /**
     * The comparisons a whole check makes, so a caller can tell that none went missing.
     *
     * @return their count
     */
    public static int expectedComparisons() {
        return OpParity.expectedOpChecks() + OptimizerParity.expectedChecks() + 2;
    }
}
