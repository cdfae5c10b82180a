package dev.descent.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/** A minimal line chart (one line per series, log2 x axis, linear y from 0) drawn with Java2D. */
final class Chart {
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, TreeMap<Double, Double>> series = new LinkedHashMap<>();

    Chart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    void add(String name, double x, double y) {
        series.computeIfAbsent(name, k -> new TreeMap<>()).put(x, y);
    }

    void write(Path file) throws IOException {
        int w = 800, h = 480, left = 70, right = 190, top = 40, bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double xmin = Double.MAX_VALUE, xmax = -Double.MAX_VALUE, ymax = 0;
        for (TreeMap<Double, Double> s : series.values()) {
            for (Map.Entry<Double, Double> e : s.entrySet()) {
                xmin = Math.min(xmin, log2(e.getKey()));
                xmax = Math.max(xmax, log2(e.getKey()));
                ymax = Math.max(ymax, e.getValue());
            }
        }
        if (xmax <= xmin) {
            xmax = xmin + 1;
        }
        ymax = ymax <= 0 ? 1 : ymax * 1.1;
        int x0 = left, x1 = w - right, y0 = h - bottom, y1 = top;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(x0, y1, x1 - x0, y0 - y1);
        for (int i = 0; i <= 4; i++) {
            double v = ymax * i / 4;
            int y = (int) (y0 - (y0 - y1) * i / 4.0);
            g.drawString(String.format("%.3g", v), 5, y + 4);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x0 + 1, y, x1 - 1, y);
            g.setColor(Color.BLACK);
        }
        for (double lx = Math.ceil(xmin); lx <= xmax; lx++) {
            int x = (int) (x0 + (x1 - x0) * (lx - xmin) / (xmax - xmin));
            g.drawString("2^" + (int) lx, x - 10, y0 + 18);
        }
        g.drawString(xLabel, (x0 + x1) / 2 - 40, h - 15);
        g.drawString(yLabel, x0, y1 - 5 + 0 * 0);
        int legend = 0;
        for (Map.Entry<String, TreeMap<Double, Double>> s : series.entrySet()) {
            Color c = COLORS[legend % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            int px = -1, py = -1;
            for (Map.Entry<Double, Double> e : s.getValue().entrySet()) {
                int x = (int) (x0 + (x1 - x0) * (log2(e.getKey()) - xmin) / (xmax - xmin));
                int y = (int) (y0 - (y0 - y1) * e.getValue() / ymax);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawLine(x1 + 15, y1 + 15 + legend * 20, x1 + 35, y1 + 15 + legend * 20);
            g.drawString(s.getKey(), x1 + 40, y1 + 19 + legend * 20);
            legend++;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
