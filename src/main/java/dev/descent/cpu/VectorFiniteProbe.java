package dev.descent.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FiniteCommit.Probe} on the Vector API (loaded by name only when the module is
 * present): one IS_FINITE test per vector, so checking a block costs a fraction of updating it.
 */
final class VectorFiniteProbe implements FiniteCommit.Probe {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override
    public boolean allFinite(float[] a, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += S.length()) {
            if (!FloatVector.fromArray(S, a, i).test(VectorOperators.IS_FINITE).allTrue()) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (!Float.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }
}
