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
 * by a case-insensitive substring of its name. Aparapi's own logging is silenced here: it warns
 * about class-file attributes of modern javac output on every kernel and would drown the CLI.
 */
public final class OpenClDevices {
    public static final String PROPERTY = "descent.opencl.device";
    /** Held strongly: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger APARAPI_LOG = Logger.getLogger("com.aparapi");

    static {
        APARAPI_LOG.setLevel(Level.OFF);
    }

    private OpenClDevices() {}

    /** All devices in preference order; an IllegalStateException with the reason when there are none. */
    public static List<OpenCLDevice> list() {
        List<OpenCLDevice> all;
        // Aparapi prints "WARNING: Aparapi is running on an untested OpenCL platform version" with
        // System.err.println while enumerating platforms; that one line is dropped, anything else passes.
        java.io.PrintStream err = System.err;
        System.setErr(new java.io.PrintStream(err, true) {
            @Override
            public void println(String line) {
                if (line == null || !line.startsWith("WARNING: Aparapi is running on an untested OpenCL platform")) {
                    super.println(line);
                }
            }
        });
        try {
            all = new ArrayList<>(OpenCLDevice.listDevices(null));
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new IllegalStateException("OpenCL: " + linkReason(e), e);
        } finally {
            System.setErr(err);
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
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String msg = String.valueOf(root.getMessage());
        if (msg.contains("libOpenCL")) {
            return "libOpenCL.so.1 not found (install ocl-icd-libopencl1 and an ICD such as pocl-opencl-icd)";
        }
        return "Aparapi's native library failed to load: " + msg.lines().findFirst().orElse(msg);
    }

    /** The device {@value #PROPERTY} selects, or the first in preference order. */
    public static OpenCLDevice choose() {
        List<OpenCLDevice> devices = list();
        String want = System.getProperty(PROPERTY);
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

    public static String describe(OpenCLDevice d) {
        return d.getOpenCLPlatform().getName() + " / " + d.getName() + " (" + d.getType() + ", "
                + d.getMaxComputeUnits() + " compute units, " + d.getGlobalMemSize() / (1L << 20) + " MiB)";
    }
}
