package dev.descent.cpu;

import dev.descent.Backend;
import dev.descent.BackendSuite;

/** The backend contract on the CPU backend with one thread: no split, the sequential path of every loop. */
class CpuSingleThreadParityTest extends BackendSuite {
    @Override
    protected Backend open() {
        return new CpuBackend(1);
    }

    @Override
    protected String label() {
        return "cpu (1 thread)";
    }
}
