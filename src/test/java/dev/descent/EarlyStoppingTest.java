package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.optim.Adam;
import org.junit.jupiter.api.Test;

/** Patience counts epochs without a lower held-out loss; the best epoch's parameters come back. */
class EarlyStoppingTest {
    private static EpochStats epoch(int e, double heldOutLoss) {
        return new EpochStats(e, 1.0, 0.5, heldOutLoss, 0.5, 1, 1, 0, 1e-3, e * 10L, 0, 10);
    }

    @Test
    void stopsAfterPatienceEpochsWithoutImprovementAndRestoresTheBest() {
        Model model = Model.builder(3).dense(2, Activation.IDENTITY).build();
        try (Session s = Session.create(model, new CpuBackend(), Adam.adam(1e-3), 4, 1)) {
            EarlyStopping early = new EarlyStopping(s, 2);
            int n = model.parameterCount();
            float[] atBest = new float[n];
            float[] later = new float[n];
            for (int i = 0; i < n; i++) {
                atBest[i] = i + 1;
                later[i] = 9;
            }
            s.setParameters(new float[n]);
            early.onEpoch(epoch(1, 0.9));
            s.setParameters(atBest);
            early.onEpoch(epoch(2, 0.5));
            assertTrue(early.improved());
            s.setParameters(later);
            early.onEpoch(epoch(3, 0.5));   // equal is not better
            assertFalse(early.improved());
            assertFalse(early.stopRequested(), "one epoch without improvement, patience 2");
            early.onEpoch(epoch(4, 0.7));
            assertTrue(early.stopRequested());
            assertEquals(2, early.bestEpoch());
            early.restoreBest();
            assertArrayEquals(atBest, s.parameters());
            assertThrows(IllegalStateException.class, () -> early.onEpoch(epoch(5, Double.NaN)));
            assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(s, 0));
        }
    }
}
