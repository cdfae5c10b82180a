package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each kernel is looked up in the one module whose PTX defines it (no failing driver lookups). */
class PtxEntriesTest {

    @Test
    void everyKernelIsFoundInExactlyOneModule() throws IOException {
        Set<String> all = new HashSet<>();
        int total = 0;
        for (String module : JCudaDevice.MODULES) {
            try (InputStream in = JCudaDevice.class.getResourceAsStream("/dev/descent/cuda/" + module + ".ptx")) {
                List<String> entries = JCudaDevice.entries(in.readAllBytes());
                assertTrue(!entries.isEmpty(), module + ".ptx defines no kernel");
                all.addAll(entries);
                total += entries.size();
            }
        }
        assertEquals(total, all.size(), "a kernel name defined twice: " + all);
        // Every kernel in kernels/cuda/launch_limits.txt (from ptxas on the same PTX), and no other.
        assertEquals(LaunchLimitTable.kernels(), all.stream().sorted().toList(), "kernels across the modules (one per extern \"C\" __global__)");
        assertEquals(21, all.size(), "kernels across the modules: " + all);
        assertTrue(all.containsAll(List.of("gemm_tiled", "begin_step", "norm_partial", "fill_kernel")), all.toString());
    }
}
