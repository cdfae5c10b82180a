package dev.descent.cli;

import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The optimizer flags of {@code train}; unset values take PyTorch's defaults for the chosen rule.
 * A flag the chosen optimizer does not have is an error, not silently ignored.
 */
final class OptimizerOptions {
    /** The optimizers each rule-specific flag applies to (--lr and --weight-decay apply to all). */
    private static final Map<String, List<String>> APPLIES_TO = Map.of(
            "--momentum", List.of("sgd", "rmsprop"),
            "--dampening", List.of("sgd"),
            "--nesterov", List.of("sgd"),
            "--beta1", List.of("adam", "adamw", "nadam", "radam"),
            "--beta2", List.of("adam", "adamw", "nadam", "radam"),
            "--amsgrad", List.of("adam", "adamw"),
            "--centered", List.of("rmsprop"),
            "--eps", List.of("adam", "adamw", "adagrad", "rmsprop", "adadelta", "nadam", "radam"));

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--optimizer", defaultValue = "adam",
            description = "sgd, adam, adamw, adagrad, rmsprop, adadelta, nadam, radam (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--lr", description = "learning rate (default: the optimizer's PyTorch default; sgd 0.01)")
    Double lr;

    @Option(names = "--momentum", description = "sgd / rmsprop momentum (default 0)")
    double momentum;

    @Option(names = "--dampening", description = "sgd dampening (default 0)")
    double dampening;

    @Option(names = "--nesterov", description = "sgd Nesterov momentum (needs --momentum > 0)")
    boolean nesterov;

    @Option(names = "--weight-decay", description = "weight decay (default 0; adamw 0.01)")
    Double weightDecay;

    @Option(names = "--beta1", description = "adam-family beta1 (default 0.9)")
    double beta1 = 0.9;

    @Option(names = "--beta2", description = "adam-family beta2 (default 0.999)")
    double beta2 = 0.999;

    @Option(names = "--eps", description = "epsilon (default: the optimizer's PyTorch default)")
    Double eps;

    @Option(names = "--amsgrad", description = "adam/adamw: AMSGrad variant")
    boolean amsgrad;

    @Option(names = "--centered", description = "rmsprop: centered variant")
    boolean centered;

    /** Throws when the command line gave a flag that {@code name} does not have. */
    private void refuseInapplicableFlags() {
        if (command == null || command.commandLine() == null || command.commandLine().getParseResult() == null) {
            return;
        }
        for (Map.Entry<String, List<String>> e : APPLIES_TO.entrySet()) {
            if (command.commandLine().getParseResult().hasMatchedOption(e.getKey()) && !e.getValue().contains(name)) {
                throw new IllegalArgumentException(e.getKey() + " does not apply to --optimizer " + name + " (it is an"
                        + " option of " + String.join(", ", e.getValue()) + ")");
            }
        }
    }

    OptimizerSpec build() {
        refuseInapplicableFlags();
        double wd = weightDecay != null ? weightDecay : name.equals("adamw") ? 1e-2 : 0;
        switch (name) {
            case "sgd":
                return new Sgd(lr(0.01), momentum, dampening, nesterov, wd);
            case "adam":
            case "adamw":
                return new Adam(lr(1e-3), beta1, beta2, eps(1e-8), wd, amsgrad, name.equals("adamw"));
            case "adagrad":
                return new Adagrad(lr(1e-2), 0, wd, 0, eps(1e-10));
            case "rmsprop":
                return new RmsProp(lr(1e-2), 0.99, eps(1e-8), wd, momentum, centered);
            case "adadelta":
                return new Adadelta(lr(1.0), 0.9, eps(1e-6), wd);
            case "nadam":
                return new NAdam(lr(2e-3), beta1, beta2, eps(1e-8), wd, 4e-3);
            case "radam":
                return new RAdam(lr(1e-3), beta1, beta2, eps(1e-8), wd);
            default:
                throw new IllegalArgumentException("--optimizer must be one of sgd, adam, adamw, adagrad, rmsprop,"
                        + " adadelta, nadam, radam; got '" + name + "'");
        }
    }

    private double lr(double fallback) {
        return lr != null ? lr : fallback;
    }

    private double eps(double fallback) {
        return eps != null ? eps : fallback;
    }
}
