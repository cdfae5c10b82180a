package dev.descent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.descent.Control;
import dev.descent.StepGuard;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import org.junit.jupiter.api.Test;

/**
 * The step logic the CPU and reference backends share, pinned by figures computed outside it
 * (by hand, and for NAdam's mu product by a Python loop over PyTorch's formula,
 * beta1 (1 - 0.5 * 0.96^(t * momentum_decay))), so a change to StepLogic cannot pass by changing
 * both backends at once.
 */
class StepLogicGoldenTest {
    private static double[] block() {
        float[] c = Control.initial();
        double[] d = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            d[i] = c[i];
        }
        return d;
    }

    @Test
    void theClipScaleIsMaxNormOverTheNormPlusOneMillionth() {
        double[] c = block();
        c[Control.BATCH_LOSS] = 1.5;
        c[Control.NORM_SQ] = 25;  // norm 5
        StepLogic.beginStep(Adam.adam(1e-3), new StepGuard(1, 0, 10), 0, 8, c);
        assertEquals(0.199999960000008, c[Control.CLIP_SCALE], 1e-15, "1 / (5 + 1e-6)");
        assertEquals(0, c[Control.SKIP]);
        assertEquals(1, c[Control.STEP]);
        // Below the threshold the gradient is left alone; without clipping, always.
        c[Control.NORM_SQ] = 0.25;
        StepLogic.beginStep(Adam.adam(1e-3), new StepGuard(1, 0, 10), 1, 8, c);
        assertEquals(1, c[Control.CLIP_SCALE]);
        c[Control.NORM_SQ] = 1e6;
        StepLogic.beginStep(Adam.adam(1e-3), StepGuard.NONE, 2, 8, c);
        assertEquals(1, c[Control.CLIP_SCALE]);
        assertEquals(3, c[Control.STEP]);
        assertEquals(3 * 1.5, c[Control.LOSS_SUM]);
        assertEquals(24, c[Control.SAMPLE_SUM]);
    }

    @Test
    void aNonFiniteLossOrNormSkipsTheStepAndThreeInARowHalt() {
        double[] c = block();
        StepGuard guard = new StepGuard(0, 0, 3);
        c[Control.BATCH_LOSS] = 0.7;
        c[Control.NORM_SQ] = 4;
        StepLogic.beginStep(Adam.adam(1e-3), guard, 0, 8, c);
        double[][] bad = {{Double.NaN, 4}, {0.7, Double.POSITIVE_INFINITY}, {Double.NEGATIVE_INFINITY, Double.NaN}};
        for (int k = 0; k < bad.length; k++) {
            c[Control.BATCH_LOSS] = bad[k][0];
            c[Control.NORM_SQ] = bad[k][1];
            StepLogic.beginStep(Adam.adam(1e-3), guard, 1 + k, 8, c);
            assertEquals(1, c[Control.SKIP], "bad step " + k);
            assertEquals(1, c[Control.STEP], "a skipped step does not count");
            assertEquals(k + 1, c[Control.BAD_STREAK]);
            assertEquals(1, c[Control.BAD_STREAK_START], "the streak began at batch 1");
            assertEquals(k == 2 ? 1 : 0, c[Control.HALTED], "halted after 3 in a row, not before");
            assertEquals(0.7, c[Control.LOSS_SUM], 1e-15, "a skipped step's loss is not summed");
        }
        // Halted: even a finite step is skipped until the host resets the block.
        c[Control.BATCH_LOSS] = 0.5;
        c[Control.NORM_SQ] = 1;
        StepLogic.beginStep(Adam.adam(1e-3), guard, 4, 8, c);
        assertEquals(1, c[Control.SKIP]);
        assertEquals(1, c[Control.STEP]);
    }

    @Test
    void nadamsMuProductOverAHundredStepsMatchesPyTorchsFormula() {
        NAdam nadam = NAdam.of(2e-3);
        double[] c = block();
        long[] at = {1, 2, 10, 100};
        double[] golden = {0.45007347359129607, 0.20259919474573693, 0.0003435745719228685, 4.736985605702626e-35};
        int next = 0;
        for (long t = 1; t <= 100; t++) {
            c[Control.BATCH_LOSS] = 1;
            c[Control.NORM_SQ] = 1;
            StepLogic.beginStep(nadam, StepGuard.NONE, t - 1, 4, c);
            if (t == at[next]) {
                assertEquals(golden[next], c[Control.MU_PRODUCT], golden[next] * 1e-12, "StepLogic at t=" + t);
                assertEquals(golden[next], ReferenceRules.nadamMuProduct(nadam, t), golden[next] * 1e-12,
                        "ReferenceRules at t=" + t);
                next++;
            }
        }
        assertEquals(at.length, next);
    }
}
