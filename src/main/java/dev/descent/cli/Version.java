package dev.descent.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the version Maven wrote into version.properties at build time. */
final class Version implements IVersionProvider {
    static String current() {
        return dev.descent.internal.BuildInfo.version();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"descent " + current(), "Java " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vm.name") + ")"};
    }
}
