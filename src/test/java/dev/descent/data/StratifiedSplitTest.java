package dev.descent.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** --val-split's split: seeded, stratified, disjoint, complete. */
class StratifiedSplitTest {

    /** Rows whose single feature is their own index, so the parts can be traced back. */
    private static Dataset indexed(int rows, int classes, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            x[i] = i;
            y[i] = r.nextInt(10) < 7 ? 0 : 1 + r.nextInt(classes - 1);  // class 0 dominates
        }
        return Dataset.classification(x, rows, 1, y, classes);
    }

    @Test
    void eachClassGivesItsShareAndEveryRowLandsOnce() {
        Dataset d = indexed(997, 4, 3);
        Dataset[] parts = d.stratifiedSplit(0.2, 42);
        assertEquals(d.rows(), parts[0].rows() + parts[1].rows());
        Set<Float> seen = new HashSet<>();
        for (Dataset p : parts) {
            for (float v : p.features()) {
                assertTrue(seen.add(v), "row " + v + " in both parts");
            }
        }
        int[] all = counts(d), held = counts(parts[1]);
        for (int c = 0; c < 4; c++) {
            assertTrue(Math.abs(held[c] - 0.2 * all[c]) <= 1, "class " + c + ": " + held[c] + " of " + all[c]);
        }
    }

    @Test
    void theSameSeedGivesTheSameSplitAndAnotherSeedAnother() {
        Dataset d = indexed(500, 3, 4);
        assertArrayEquals(d.stratifiedSplit(0.3, 7)[1].features(), d.stratifiedSplit(0.3, 7)[1].features());
        assertTrue(!java.util.Arrays.equals(d.stratifiedSplit(0.3, 7)[1].features(), d.stratifiedSplit(0.3, 8)[1].features()));
    }

    @Test
    void fractionsOutsideTheOpenIntervalAreRefused() {
        Dataset d = indexed(50, 2, 5);
        for (double f : new double[] {0, 1, -0.1, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.stratifiedSplit(f, 1));
            assertTrue(e.getMessage().contains("(0, 1)"), e.getMessage());
        }
    }

    private static int[] counts(Dataset d) {
        int[] n = new int[d.classes()];
        for (float t : d.targets()) {
            n[(int) t]++;
        }
        return n;
    }
}
