package dev.descent;

/**
 * The GPU backends' Java bindings are optional dependencies (a CPU-only user gets neither), so
 * before touching one of their classes the backend checks it is there and, if not, says which
 * dependency to add, instead of failing with a NoClassDefFoundError from deep inside.
 */
final class Bindings {
    static final String CUDA = "CUDA: the JCuda binding is not on the class path; add org.jcuda:jcuda:12.6.0 and"
            + " org.jcuda:jcublas:12.6.0 to your dependencies";
    static final String OPENCL = "OpenCL: the Aparapi binding is not on the class path; add com.aparapi:aparapi:3.0.0"
            + " to your dependencies";

    private Bindings() {}

    static boolean cudaPresent() {
        return present("jcuda.driver.JCudaDriver") && present("jcuda.jcublas.JCublas2");
    }

    static boolean openClPresent() {
        return present("com.aparapi.device.OpenCLDevice");
    }

    static void requireCuda() {
        if (!cudaPresent()) {
            throw new IllegalStateException(CUDA);
        }
    }

    static void requireOpenCl() {
        if (!openClPresent()) {
            throw new IllegalStateException(OPENCL);
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, Bindings.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
