package dev.descent.cli;

import dev.descent.BackendInfo;
import dev.descent.Backends;
import dev.descent.opencl.OpenClDevices;
import picocli.CommandLine.Command;

/** Lists every backend with its availability and, when unavailable, the reason. */
@Command(name = "devices", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "List backends and whether each can run here.")
final class DevicesCommand implements Runnable {
    @Override
    public void run() {
        for (BackendInfo info : Backends.probe()) {
            System.out.println(info.line());
        }
        try {
            java.util.List<com.aparapi.device.OpenCLDevice> devices = OpenClDevices.list();
            System.out.println("OpenCL devices (choose with --opencl-device INDEX|NAME; default 0):");
            for (int i = 0; i < devices.size(); i++) {
                System.out.println("  " + i + ": " + OpenClDevices.describe(devices.get(i)));
            }
        } catch (IllegalStateException none) {
            // the opencl line above already says why
        }
    }
}
