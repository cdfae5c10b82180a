package dev.descent.cli;

import dev.descent.BackendOptions;
import picocli.CommandLine.Option;

/**
 * Which backend {@code train} and {@code check} run on: its name, the OpenCL device, and whether
 * CUDA training steps run as CUDA Graphs. Options left out keep what the system properties say
 * ({@link BackendOptions#defaults()}).
 */
final class BackendChoice {
    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu, cuda, opencl, reference (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--opencl-device", description = "OpenCL device by index or name (see `devices`)")
    String openclDevice;

    @Option(names = "--cuda-graphs", description = "run CUDA training steps as CUDA Graphs (not yet confirmed on a GPU)")
    boolean cudaGraphs;

    BackendOptions options() {
        BackendOptions options = openclDevice == null ? BackendOptions.defaults()
                : BackendOptions.defaults().withOpenClDevice(openclDevice);
        return cudaGraphs ? options.withCudaGraphs(true) : options;
    }
}
