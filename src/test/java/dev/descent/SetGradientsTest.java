package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.ReferenceBackend;
import dev.descent.optim.Adam;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Session#setGradients}, what data-parallel training steps with: the step uses exactly the
 * gradients given, and a non-finite one reaches the guard, which skips the step.
 */
class SetGradientsTest {
    private static final Model MODEL = Model.builder(5).dense(4, Activation.TANH).dense(3, Activation.IDENTITY).build();

    private static Session session() {
        Session s = Session.create(MODEL, new ReferenceBackend(), Adam.adam(0.01), 8, 7);
        Random r = new Random(3);
        float[] x = new float[8 * 5];
        float[] y = new float[8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(3);
        }
        s.loadBatch(x, y, 8);
        s.forward(8);
        s.backward(8);
        return s;
    }

    @Test
    void theStepUsesTheGradientsGiven() {
        try (Session own = session(); Session given = session()) {
            float[] g = own.gradients();
            own.step(0.01f, 0, 8);
            float[] doubled = g.clone();
            for (int i = 0; i < doubled.length; i++) {
                doubled[i] *= 2;
            }
            given.setGradients(g);
            assertArrayEquals(g, given.gradients());
            given.step(0.01f, 0, 8);
            assertArrayEquals(own.parameters(), given.parameters(), "same gradients, same step");
            given.setGradients(doubled);
            given.step(0.01f, 1, 8);
            own.step(0.01f, 1, 8);  // its own gradients again, not doubled
            float[] a = own.parameters(), b = given.parameters();
            boolean differ = false;
            for (int i = 0; i < a.length; i++) {
                differ |= a[i] != b[i];
            }
            assertTrue(differ, "the second step used the doubled gradients");
        }
    }

    @Test
    void aNonFiniteGradientIsSkippedByTheGuard() {
        try (Session s = session()) {
            float[] before = s.parameters();
            float[] g = s.gradients();
            g[3] = Float.NaN;
            s.setGradients(g);
            s.step(0.01f, 0, 8);
            assertArrayEquals(before, s.parameters(), "the guard skipped the step");
            assertEquals(1f, s.control()[Control.BAD_TOTAL], "one bad step counted");
        }
    }

    @Test
    void readsIntoTheCallersArraysGiveWhatTheCopiesGive() {
        try (Session s = session()) {
            s.step(0.01f, 0, 8);
            int n = MODEL.parameterCount();
            float[] into = new float[n];
            assertTrue(into == s.parameters(into));
            assertArrayEquals(s.parameters(), into);
            assertArrayEquals(s.gradients(), s.gradients(new float[n]));
            for (int i = 0; i < s.stateCount(); i++) {
                assertArrayEquals(s.state(i), s.state(i, new float[n]), "state " + i);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.parameters(new float[n - 1]));
            assertTrue(e.getMessage().contains("into"), e.getMessage());
        }
    }

    @Test
    void theLengthIsChecked() {
        try (Session s = session()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.setGradients(new float[3]));
            assertTrue(e.getMessage().contains("gradients"), e.getMessage());
        }
    }
}
