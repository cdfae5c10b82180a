package dev.descent.cli;

import dev.descent.BackendInfo;
import dev.descent.Backends;
import picocli.CommandLine.Command;

/** Lists every backend with its availability and, when unavailable, the reason. */
@Command(name = "devices", description = "List backends and whether each can run here.")
final class DevicesCommand implements Runnable {
    @Override
    public void run() {
        for (BackendInfo info : Backends.probe()) {
            System.out.println(info.line());
        }
    }
}
