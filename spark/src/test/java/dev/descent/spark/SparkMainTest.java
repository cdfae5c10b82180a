package dev.descent.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.Predictor;
import dev.descent.data.DataSources;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code descent-spark} end to end in local[2] on the embedded Fashion-MNIST sample: it trains,
 * scores, and saves a model whose checkpoint the descent CLI's Predictor reads, normalisation
 * included, scoring the same accuracy on raw pixels.
 */
class SparkMainTest {
    @Test
    void trainsScoresAndSavesACheckpointTheCliReads(@TempDir Path dir) {
        String out = dir.resolve("model").toString();
        double accuracy = SparkMain.run(SparkMain.parse(new String[] {"--master", "local[2]", "--partitions", "2",
                "--epochs", "1", "--hidden", "32", "--lr", "0.003", "--out", out}));
        assertTrue(accuracy > 0.7, "held-out accuracy " + accuracy + " after one epoch");
        Checkpoint ck = Checkpoint.load(Path.of(out, DescentClassificationModel.CHECKPOINT_PATH));
        assertTrue(ck.normalization().isPresent(), "the checkpoint lacks the training normalisation");
        assertEquals(DataSources.FASHION_LABELS, ck.classLabels());
        DataSources.Split raw = DataSources.embedded();
        try (Predictor p = Predictor.open(ck, Backends.open("cpu"))) {
            double cli = p.evaluate(raw.heldOut()).accuracy();
            System.out.println("[spark] descent-spark 1 epoch: held-out accuracy " + accuracy + " in Spark, " + cli
                    + " from its checkpoint through a Predictor");
            // The same rows right: Evaluation reports accuracy as a float.
            assertEquals(Math.round(accuracy * raw.heldOut().rows()), Math.round(cli * raw.heldOut().rows()));
        }
    }

    @Test
    void aBadFlagIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkMain.parse(new String[] {"--epochz", "3"}));
        assertTrue(e.getMessage().contains("unknown option '--epochz'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkMain.classifier(SparkMain.parse(
                new String[] {"--hidden", "64,x"})));
        assertTrue(e.getMessage().contains("--hidden must be widths"), e.getMessage());
    }
}
