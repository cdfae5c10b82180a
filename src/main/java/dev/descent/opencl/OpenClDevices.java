package dev.descent.opencl;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finds OpenCL devices through Aparapi: GPUs first, then CPUs, then anything else, in platform
 * order. {@value #PROPERTY} (or the CLI's --opencl-device) picks one by index in that order or
 * by a case-insensitive substring of its name.
 *
 * <p>Aparapi logs warnings about class-file attributes of modern javac output on every kernel,
 * and its native code prints a platform-version warning to file descriptor 2 while it
 * enumerates. The library leaves both alone, since silencing them means a process-wide logger
 * level and a moment in which every thread's stderr goes to /dev/null. The CLI, which owns its
 * process, asks for quiet with {@link AparapiOutput#quiet()}.
 */
public final class OpenClDevices {
    /**
     * System property naming the OpenCL device (an index or a name substring), read by {@link dev.descent.BackendOptions#defaults()}.
     */
    public static final String PROPERTY = "descent.opencl.device";
    /** Held strongly: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger APARAPI_LOG = Logger.getLogger("com.aparapi");

    static {
        preloadAparapi();
    }

    /**
     * Aparapi extracts its JNI library into a new /tmp/Aparapi* directory on every run, and a killed
     * process leaves it there. Loading the same library from descent's per-user cache first, and
     * telling Aparapi it is already loaded ({@code com.aparapi.useAgent}, which only skips that
     * extraction), keeps one copy. A user who set the property, a class-loader split or any failure
     * leaves Aparapi to load it its own way.
     */
    private static void preloadAparapi() {
        if (!dev.descent.internal.NativeLibraries.isLinuxX64() || System.getProperty("com.aparapi.useAgent") != null
                || OpenCLDevice.class.getClassLoader() != OpenClDevices.class.getClassLoader()) {
            return;
        }
        try {
            dev.descent.internal.NativeLibraries.load(OpenCLDevice.class, "/linux/libaparapi_x86_64.so");
            System.setProperty("com.aparapi.useAgent", "true");
        } catch (Throwable e) {
            // Aparapi's own loader runs and reports any real problem
        }
    }

    private OpenClDevices() {}

    /**
     * All devices in preference order (GPUs first).
     *
     * @return the devices
     * @throws IllegalStateException with the reason when there are none
     */
    public static List<OpenCLDevice> list() {
        List<OpenCLDevice> all;
        try {
            if (AparapiOutput.isQuiet()) {
                APARAPI_LOG.setLevel(Level.OFF);
                all = QuietStderr.call(() -> new ArrayList<>(OpenCLDevice.listDevices(null)));
            } else {
                all = new ArrayList<>(OpenCLDevice.listDevices(null));
            }
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new IllegalStateException("OpenCL: " + linkReason(e), e);
        }
        if (all.isEmpty()) {
            throw new IllegalStateException("OpenCL: no OpenCL platform or device found (install an ICD, e.g."
                    + " pocl-opencl-icd for CPUs, or a GPU vendor's driver)");
        }
        List<OpenCLDevice> ordered = new ArrayList<>();
        for (Device.TYPE type : new Device.TYPE[] {Device.TYPE.GPU, Device.TYPE.CPU}) {
            for (OpenCLDevice d : all) {
                if (d.getType() == type) {
                    ordered.add(d);
                }
            }
        }
        for (OpenCLDevice d : all) {
            if (!ordered.contains(d)) {
                ordered.add(d);
            }
        }
        return ordered;
    }

    private static String linkReason(Throwable e) {
        String msg = dev.descent.internal.Check.rootMessage(e);
        return msg.contains("libOpenCL") ? "libOpenCL.so.1 not found (install ocl-icd-libopencl1 and an ICD such as"
                + " pocl-opencl-icd)" : "Aparapi's native library failed to load: " + dev.descent.internal.Check.firstLine(msg);
    }

    /**
     * The device {@value #PROPERTY} selects, or the first in preference order.
     *
     * @return the device
     */
    public static OpenCLDevice choose() {
        return choose(dev.descent.BackendOptions.defaults().openclDevice());
    }

    /**
     * The device {@code want} names, or the first in preference order when null.
     *
     * @param want an index into {@link #list()} or a substring of the device's name, or null
     * @return the device
     */
    public static OpenCLDevice choose(String want) {
        List<OpenCLDevice> devices = list();
        if (want == null || want.isBlank()) {
            return devices.get(0);
        }
        try {
            int index = Integer.parseInt(want.trim());
            if (index < 0 || index >= devices.size()) {
                throw new IllegalStateException("OpenCL: device index " + index + " out of range; "
                        + devices.size() + " device(s) found");
            }
            return devices.get(index);
        } catch (NumberFormatException byName) {
            for (OpenCLDevice d : devices) {
                if (describe(d).toLowerCase(Locale.ROOT).contains(want.trim().toLowerCase(Locale.ROOT))) {
                    return d;
                }
            }
            throw new IllegalStateException("OpenCL: no device matches '" + want + "'");
        }
    }

    /**
     * Whether automatic backend selection should consider OpenCL: only when some installed ICD
     * is not PoCL (whose devices are CPUs, where the native CPU backend is faster; merely
     * enumerating PoCL starts its worker threads, which slowed CPU training by a third here),
     * and then only if the chosen device is a GPU.
     *
     * @return true when OpenCL may be the best backend here
     */
    public static boolean worthTryingForAuto() {
        if (System.getenv("OCL_ICD_VENDORS") == null) {
            java.io.File[] icds = new java.io.File("/etc/OpenCL/vendors").listFiles((d, n) -> n.endsWith(".icd"));
            boolean onlyPocl = true;
            for (java.io.File icd : icds == null ? new java.io.File[0] : icds) {
                try {
                    onlyPocl &= java.nio.file.Files.readString(icd.toPath()).contains("pocl");
                } catch (java.io.IOException e) {
                    onlyPocl = false;
                }
            }
            if (onlyPocl) {
                return false;
            }
        }
        return choose().getType() == Device.TYPE.GPU;
    }

    /**
     * One line about a device.
     *
     * @param d the device
     * @return its platform, name, type, compute units and memory
     */
    public static String describe(OpenCLDevice d) {
        return d.getOpenCLPlatform().getName() + " / " + d.getName() + " (" + d.getType() + ", "
                + d.getMaxComputeUnits() + " compute units, " + d.getGlobalMemSize() / (1L << 20) + " MiB)";
    }
}
