package dev.descent.bench;

import dev.descent.BackendInfo;
import dev.descent.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the suite ({@code quick} or {@code full}) on every backend that opens here, then writes
 * JMH's JSON, a markdown table and PNG charts to the output directory.
 *
 * <pre>java -cp benchmarks.jar dev.descent.bench.Suites quick benchmarks/results</pre>
 */
public final class Suites {
    private Suites() {}

    public static void main(String[] args) throws Exception {
        boolean full = args.length > 0 && args[0].equals("full");
        Path out = Path.of(args.length > 1 ? args[1] : "benchmarks/results");
        Files.createDirectories(out);
        List<String> backends = new ArrayList<>();
        for (BackendInfo info : Backends.probe()) {
            if (info.available() && !info.name().equals("reference")) {
                backends.add(info.name());
            }
        }
        System.out.println("backends: " + backends);
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .include(UpdateBench.class.getSimpleName())
                .include(GemmBench.class.getSimpleName())
                .include(OpenBlasGemmBench.class.getSimpleName())
                .include(TrainStepBench.class.getSimpleName())
                .include(EpochBench.class.getSimpleName())
                .param("backend", backends.toArray(new String[0]))
                .forks(full ? 2 : 1)
                .warmupIterations(full ? 3 : 1)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(full ? 5 : 3)
                .measurementTime(TimeValue.seconds(full ? 2 : 1))
                // The Vector API GEMM is used when the module is present; measure the fast path.
                .jvmArgsAppend("-Xmx12g", "--add-modules", "jdk.incubator.vector")
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("jmh.json").toString());
        if (!full) {
            // quick: the sizes the bars name, fewer shapes, the smaller model
            opts.param("log2n", "16", "20", "24")
                    .param("shape", "256", "1024", "2048", "fwd-64x784x256", "dw-784x256x64", "dx-64x784x256")
                    .param("model", "784-256-128-10")
                    .param("batch", "1", "64", "1024");
        }
        Collection<RunResult> results = new Runner(opts.build()).run();
        Report.write(results, out, full ? "full" : "quick");
    }
}
