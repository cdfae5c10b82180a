package dev.descent.cli;

import dev.descent.Checkpoint;
import dev.descent.Layer;
import dev.descent.Model;
import dev.descent.export.OnnxExport;
import dev.descent.export.SafetensorsExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code descent export}: the trained model as ONNX (for serving) and/or safetensors (for PyTorch). */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Export a checkpoint's model: --onnx for ONNX Runtime and other ONNX servers (raw features in,"
                + " normalisation inside the graph, logits out), --safetensors for PyTorch (nn.Linear layout).")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "checkpoint written by train --checkpoint")
    Path checkpoint;

    @Option(names = "--onnx", paramLabel = "FILE", description = "write an ONNX model (opset " + OnnxExport.OPSET + ")")
    Path onnx;

    @Option(names = "--safetensors", paramLabel = "FILE", description = "write the weights as safetensors")
    Path safetensors;

    @Override
    public Integer call() {
        if (onnx == null && safetensors == null) {
            throw new IllegalArgumentException("export needs --onnx FILE, --safetensors FILE or both");
        }
        if (onnx != null && onnx.equals(safetensors)) {
            throw new IllegalArgumentException("--onnx and --safetensors name the same file: " + onnx);
        }
        OutputPaths.checkWritable("--onnx", onnx);
        OutputPaths.checkWritable("--safetensors", safetensors);
        Checkpoint ck = Checkpoint.load(checkpoint);
        Model model = ck.model();
        if (onnx != null) {
            OnnxExport.write(ck, onnx);
            System.out.printf("onnx: %s (opset %d; input %s float32 [N, %d], raw features%s; output %s [N, %d])%n", onnx,
                    OnnxExport.OPSET, OnnxExport.INPUT, model.inputWidth(),
                    ck.normalization().isPresent() ? ", normalised inside the graph" : "",
                    OnnxExport.outputName(model), model.outputWidth());
        }
        if (safetensors != null) {
            SafetensorsExport.write(ck, safetensors);
            StringBuilder tensors = new StringBuilder();
            for (int i = 0; i < model.layers().size(); i++) {
                Layer l = model.layers().get(i);
                tensors.append(i == 0 ? "" : ", ").append("layers.").append(i).append(".weight [").append(l.units())
                        .append(", ").append(l.inputs()).append("], .bias [").append(l.units()).append(']');
            }
            System.out.println("safetensors: " + safetensors + " (" + tensors + ")");
        }
        return 0;
    }
}
