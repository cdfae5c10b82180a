package dev.descent.cli;

import dev.descent.EpochStats;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** Draws loss and accuracy per epoch (train and held-out) side by side into a PNG, with Java2D only. */
final class PlotWriter {
    private PlotWriter() {}

    private static final int PANEL_W = 480;
    private static final int H = 360;
    private static final int MARGIN = 50;
    private static final Color TRAIN = new Color(31, 119, 180);
    private static final Color HELD_OUT = new Color(255, 127, 14);

    static void write(Path file, List<EpochStats> history) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(2 * PANEL_W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), H);
        panel(g, 0, "loss", history, EpochStats::trainLoss, EpochStats::heldOutLoss);
        panel(g, PANEL_W, "accuracy", history, EpochStats::trainAccuracy, EpochStats::heldOutAccuracy);
        g.dispose();
        dev.descent.io.AtomicFile.write(file, "plot", out -> {
            if (!ImageIO.write(img, "png", out)) {
                throw new java.io.IOException("no PNG writer available");
            }
        });
    }

    private static void panel(Graphics2D g, int x0, String title, List<EpochStats> h,
                              ToDoubleFunction<EpochStats> train, ToDoubleFunction<EpochStats> heldOut) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (EpochStats s : h) {
            for (double v : new double[] {train.applyAsDouble(s), heldOut.applyAsDouble(s)}) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (!(max > min)) {
            max = min + 1;
        }
        int left = x0 + MARGIN;
        int right = x0 + PANEL_W - 20;
        int top = 40;
        int bottom = H - MARGIN;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, right - left, bottom - top);
        g.drawString(String.format("%.3f", max), x0 + 5, top + 5);
        g.drawString(String.format("%.3f", min), x0 + 5, bottom);
        g.drawString("epoch 1", left, bottom + 15);
        g.drawString("epoch " + h.get(h.size() - 1).epoch(), right - 50, bottom + 15);
        series(g, h, train, TRAIN, min, max, left, right, top, bottom);
        series(g, h, heldOut, HELD_OUT, min, max, left, right, top, bottom);
        g.setColor(TRAIN);
        g.drawString("train", right - 110, top + 15);
        g.setColor(HELD_OUT);
        g.drawString("held-out", right - 70, top + 15);
    }

    private static void series(Graphics2D g, List<EpochStats> h, ToDoubleFunction<EpochStats> f, Color color,
                               double min, double max, int left, int right, int top, int bottom) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        int prevX = -1;
        int prevY = -1;
        for (int i = 0; i < h.size(); i++) {
            double v = f.applyAsDouble(h.get(i));
            if (!Double.isFinite(v)) {
                prevX = -1;
                continue;
            }
            int x = h.size() == 1 ? (left + right) / 2 : left + (right - left) * i / (h.size() - 1);
            int y = (int) (bottom - (bottom - top) * (v - min) / (max - min));
            g.fillOval(x - 3, y - 3, 6, 6);
            if (prevX >= 0) {
                g.drawLine(prevX, prevY, x, y);
            }
            prevX = x;
            prevY = y;
        }
        g.setStroke(new BasicStroke(1f));
    }
}
