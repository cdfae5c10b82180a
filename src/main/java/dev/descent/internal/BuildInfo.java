package dev.descent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What Maven wrote into version.properties at build time: the CLI's --version and exported files' producer. */
public final class BuildInfo {
    private BuildInfo() {}

    public static String version() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/descent/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown (not built by Maven)");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
