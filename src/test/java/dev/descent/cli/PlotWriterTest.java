package dev.descent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.EpochStats;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --plot chart: log-scale loss over accuracy, both series, legend below, gaps for missing values. */
class PlotWriterTest {
    @TempDir
    Path dir;

    private static EpochStats epoch(int e, double trainLoss, double heldOutLoss) {
        return new EpochStats(e, trainLoss, 0.5 + 0.01 * e, heldOutLoss, 0.6 + 0.01 * e, 1, 1000, 0, 1e-3, 10L * e, 0, 10);
    }

    @Test
    void lossIsLogScaleAboveAccuracyWithTheLegendBelow() throws Exception {
        List<EpochStats> history = new ArrayList<>();
        for (int e = 1; e <= 5; e++) {
            history.add(epoch(e, e == 3 ? Double.NaN : 1.0 / e, 0.8 / e));  // epoch 3: every step skipped
        }
        JFreeChart chart = PlotWriter.chart(history, "val");
        CombinedDomainXYPlot plot = (CombinedDomainXYPlot) chart.getPlot();
        List<XYPlot> parts = plot.getSubplots();
        assertEquals(2, parts.size());
        assertInstanceOf(LogAxis.class, parts.get(0).getRangeAxis());
        assertEquals("accuracy", parts.get(1).getRangeAxis().getLabel());
        assertEquals(4, parts.get(0).getDataset().getItemCount(0), "the skipped epoch is a gap, not a NaN point");
        assertEquals("val", parts.get(0).getDataset().getSeriesKey(1));
        assertEquals(RectangleEdge.BOTTOM, chart.getLegend().getPosition());

        Path png = dir.resolve("c.png");
        PlotWriter.write(png, history, "val");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(640, img.getHeight());
    }

    @Test
    void oneEpochIsAPointPerSeriesCenteredOnItsEpoch() {
        JFreeChart chart = PlotWriter.chart(List.of(epoch(1, 0.9, 0.8)), "held-out");
        CombinedDomainXYPlot plot = (CombinedDomainXYPlot) chart.getPlot();
        assertEquals(0.5, plot.getDomainAxis().getLowerBound(), 1e-9);
        assertEquals(1.5, plot.getDomainAxis().getUpperBound(), 1e-9);
        XYPlot loss = (XYPlot) plot.getSubplots().get(0);
        assertEquals(1, loss.getDataset().getItemCount(0));
        assertTrue(((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) loss.getRenderer()).getDefaultShapesVisible(),
                "points are marked, so a single epoch is visible");
    }
}
