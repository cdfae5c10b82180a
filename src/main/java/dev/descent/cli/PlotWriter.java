package dev.descent.cli;

import dev.descent.EpochStats;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code train --plot}: loss (log scale) above accuracy, against a shared epoch axis, train and
 * held-out (or validation) curves in both, drawn with JFreeChart. Points are marked, so a
 * one-epoch run shows its values; the legend sits under the plots, never over a curve.
 */
final class PlotWriter {
    private PlotWriter() {}

    private static final Color TRAIN = new Color(31, 119, 180);
    private static final Color HELD_OUT = new Color(255, 127, 14);

    static void write(Path file, List<EpochStats> history, String heldOutName) {
        System.setProperty("java.awt.headless", "true");
        JFreeChart chart = chart(history, heldOutName);
        dev.descent.internal.AtomicFile.write(file, "plot", out -> ChartUtils.writeChartAsPNG(out, chart, 800, 640));
    }

    static JFreeChart chart(List<EpochStats> history, String heldOutName) {
        NumberAxis epochs = new NumberAxis("epoch");
        epochs.setTickUnit(new NumberTickUnit(Math.max(1, Math.ceil(history.size() / 10.0))));
        int first = history.get(0).epoch();
        int last = history.get(history.size() - 1).epoch();
        epochs.setRange(first - 0.5, last + 0.5);

        LogAxis lossAxis = new LogAxis("loss (log scale)");
        lossAxis.setBase(10);
        lossAxis.setSmallestValue(1e-12);
        lossAxis.setStandardTickUnits(NumberAxis.createStandardTickUnits());  // steps in powers of 10, any fraction
        lossAxis.setNumberFormatOverride(new java.text.DecimalFormat("0.0##", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)));
        lossAxis.setMinorTickCount(0);
        lossAxis.setLowerMargin(0.08);
        lossAxis.setUpperMargin(0.08);
        XYPlot loss = plot(history, lossAxis, heldOutName, EpochStats::trainLoss, EpochStats::heldOutLoss, true);

        NumberAxis accuracyAxis = new NumberAxis("accuracy");
        accuracyAxis.setAutoRangeIncludesZero(false);
        accuracyAxis.setLowerMargin(0.08);
        accuracyAxis.setUpperMargin(0.08);
        XYPlot accuracy = plot(history, accuracyAxis, heldOutName, EpochStats::trainAccuracy,
                EpochStats::heldOutAccuracy, false);

        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(epochs);
        combined.setGap(12);
        combined.add(loss, 1);
        combined.add(accuracy, 1);
        JFreeChart chart = new JFreeChart("descent: training curves", new Font(Font.SANS_SERIF, Font.BOLD, 16),
                combined, false);
        LegendTitle legend = new LegendTitle(accuracy);
        legend.setPosition(RectangleEdge.BOTTOM);
        chart.addLegend(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static XYPlot plot(List<EpochStats> history, org.jfree.chart.axis.ValueAxis axis, String heldOutName,
                               ToDoubleFunction<EpochStats> train, ToDoubleFunction<EpochStats> heldOut, boolean positive) {
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series("train", history, train, positive));
        XYSeries held = series(heldOutName, history, heldOut, positive);
        if (held.getItemCount() > 0) {
            data.addSeries(held);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        Color[] colors = {TRAIN, HELD_OUT};
        for (int s = 0; s < data.getSeriesCount(); s++) {
            renderer.setSeriesPaint(s, colors[s]);
            renderer.setSeriesStroke(s, new BasicStroke(2f));
            renderer.setSeriesShape(s, new Ellipse2D.Double(-3, -3, 6, 6));
        }
        XYPlot plot = new XYPlot(data, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(220, 220, 220));
        plot.setRangeGridlinePaint(new Color(220, 220, 220));
        plot.setDomainGridlinesVisible(true);
        plot.setRangeGridlinesVisible(true);
        return plot;
    }

    /** The finite values (positive ones only for a log axis); epochs without one are gaps. */
    private static XYSeries series(String name, List<EpochStats> history, ToDoubleFunction<EpochStats> value,
                                   boolean positive) {
        XYSeries s = new XYSeries(name);
        for (EpochStats e : history) {
            double v = value.applyAsDouble(e);
            if (Double.isFinite(v) && (!positive || v > 0)) {
                s.add(e.epoch(), v);
            }
        }
        return s;
    }
}
