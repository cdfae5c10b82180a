package dev.descent.cpu;

/**
 * Chooses the CPU GEMM: {@link VectorGemm} when the incubating Vector API module is in the boot
 * layer (the JVM was started with {@code --add-modules jdk.incubator.vector}; the library never
 * needs the flag), otherwise the auto-vectorized {@link CpuGemm}. VectorGemm is only loaded
 * after the module check, so its absence can never surface as a NoClassDefFoundError.
 */
final class GemmKernels {
    private GemmKernels() {}

    interface Gemm {
        void gemm(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                  float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff);

        /** For describe(): which kernel runs. */
        String name();
    }

    /** The auto-vectorized kernel. */
    static final Gemm SCALAR = new Gemm() {
        @Override
        public void gemm(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                         float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
            CpuGemm.gemm(par, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
        }

        @Override
        public String name() {
            return "auto-vectorized";
        }
    };

    private static final String VECTOR_MODULE = "jdk.incubator.vector";

    /** -Ddescent.cpu.vector=false asks for the scalar GEMM even where the module is present. */
    private static boolean vectorWanted() {
        return !"false".equals(System.getProperty("descent.cpu.vector"));
    }

    /** The JDK has the module, but this JVM was started without it (and the scalar GEMM was not asked for). */
    static boolean vectorApiAvailableButNotAdded() {
        return vectorWanted() && ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()
                && java.lang.module.ModuleFinder.ofSystem().find(VECTOR_MODULE).isPresent();
    }

    static boolean vectorApiPresent() {
        return vectorWanted() && ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /** The Vector API kernel if {@code wantVector} and the module is present, else the scalar one. */
    static Gemm choose(boolean wantVector) {
        Gemm vector = loadVector(wantVector, "dev.descent.cpu.VectorGemmEntry", Gemm.class);
        return vector != null ? vector : SCALAR;
    }

    /**
     * A new instance of the Vector API class {@code className} if {@code wantVector} and the
     * module is present, else null. Loaded by name, after the module check, so that its absence
     * can never surface as a NoClassDefFoundError.
     */
    static <T> T loadVector(boolean wantVector, String className, Class<T> type) {
        if (!wantVector || !vectorApiPresent()) {
            return null;
        }
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
