package dev.descent.cli;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.DeviceDataset;
import dev.descent.EarlyStopping;
import dev.descent.EpochStats;
import dev.descent.Evaluation;
import dev.descent.Init;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.StepGuard;
import dev.descent.Trainer;
import dev.descent.TrainingListener;
import dev.descent.TrainingReport;
import dev.descent.data.DataSources;
import dev.descent.data.Dataset;
import dev.descent.optim.OptimizerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code descent train}: trains an MLP classifier and ends with "test accuracy: 0.xxxx". Its
 * checkpoints record every option, so {@code --resume FILE} alone continues the run; only the
 * options in {@link #RESUMABLE} may change on resume, any other that contradicts the checkpoint
 * is an error naming both values.
 */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Train an MLP classifier (default: the embedded Fashion-MNIST sample) and print its test"
                + " accuracy.")
final class TrainCommand implements Callable<Integer> {
    /** What may change when resuming: how long to run, where output goes, which device, the guard's patience. */
    static final Set<String> RESUMABLE = Set.of("--epochs", "--stop-after", "--checkpoint", "--resume", "--plot",
            "--metrics", "--quiet", "--backend", "--opencl-device", "--cuda-graphs", "--max-bad-steps", "--help",
            "--version");
    /** Metadata keys: the options as given, epochs done, and the training data's fingerprint. */
    static final String OPTION_KEY = "option ";
    static final String EPOCHS_DONE = "epochs_completed";
    static final String FINGERPRINT = "data_fingerprint";

    @Spec
    CommandSpec spec;

    /** Widest hidden layer accepted: 784 x 2^20 weights is already 3 GiB. */
    static final int MAX_WIDTH = 1 << 20;

    @Mixin
    BackendChoice backendChoice;

    @Mixin
    OptimizerOptions optimizer;

    @Option(names = "--batch-size", defaultValue = "64",
            description = "rows per step: N (mini-batch), 1 (stochastic) or 'full' (default: ${DEFAULT-VALUE})")
    String batchSize;

    @Option(names = "--epochs", defaultValue = "10", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--hidden", defaultValue = "256,128", split = ",",
            description = "hidden layer widths (default: ${DEFAULT-VALUE})")
    List<Integer> hidden;

    @Option(names = "--activation", defaultValue = "relu",
            description = "identity, relu, leaky-relu, sigmoid, tanh, gelu (default: ${DEFAULT-VALUE})")
    String activation;

    @Option(names = "--init", defaultValue = "he-uniform",
            description = "xavier-uniform, xavier-normal, he-uniform, he-normal (default: ${DEFAULT-VALUE})")
    String init;

    @Option(names = "--seed", defaultValue = "42", description = "seed for weights and shuffling (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    DataOptions data;

    @Option(names = "--clip-norm", defaultValue = "0", description = "clip gradients to this global L2 norm (0: off)")
    double clipNorm;

    @Option(names = "--clip-value", defaultValue = "0", description = "clamp each gradient element to +-value (0: off)")
    double clipValue;

    @Option(names = "--schedule", defaultValue = "cosine",
            description = "constant, step:EPOCHS:GAMMA, exp:GAMMA, cosine[:MIN_FACTOR] (default: ${DEFAULT-VALUE})")
    String schedule;

    @Option(names = "--warmup", defaultValue = "0", description = "epochs of linear learning-rate warmup (default: 0)")
    int warmup;

    @Option(names = "--no-decay-bias", description = "exclude biases from weight decay")
    boolean noDecayBias;

    @Option(names = "--max-bad-steps", defaultValue = "10",
            description = "halt after this many consecutive non-finite steps (default: ${DEFAULT-VALUE})")
    int maxBadSteps;

    @Option(names = "--checkpoint", description = "write a checkpoint here after every epoch (atomically)")
    Path checkpoint;

    @Option(names = "--resume", description = "continue the run this checkpoint recorded (no other option needs"
            + " repeating; --epochs may extend it)")
    Path resume;

    @Option(names = "--stop-after", paramLabel = "EPOCH|+N", description = "end this invocation once EPOCH epochs"
            + " of the run are done (an epoch number, counted from the run's start, resumed epochs included), or +N:"
            + " after N more epochs than the checkpoint has done; with --checkpoint, continue later with --resume"
            + " (schedules still span --epochs)")
    String stopAfterOption;

    /** --stop-after as an absolute epoch number, once resolved against the epochs already done. */
    private Integer stopAfter;

    @Option(names = "--plot", description = "write loss and accuracy curves to this PNG")
    Path plot;

    @Option(names = "--metrics", paramLabel = "FILE.jsonl", description = "write one JSON object per epoch (losses,"
            + " accuracies, lr, seconds, samples/s, skipped steps) here, flushed as each epoch ends")
    Path metrics;

    @Option(names = "--val-split", paramLabel = "FRACTION", description = "hold out this seeded, stratified fraction"
            + " of the training rows for the per-epoch figures; the test split is then scored once, at the end")
    Double valSplit;

    @Option(names = "--patience", paramLabel = "N", description = "stop when the per-epoch held-out (or --val-split)"
            + " loss has not improved for N epochs, and keep the best epoch (--checkpoint then holds it)")
    Integer patience;

    @Option(names = "--quiet", description = "no progress bar")
    boolean quiet;

    @Override
    public Integer call() {
        Checkpoint resumed = resume == null ? null : Checkpoint.load(resume);
        int startEpoch = resumed == null ? 0 : adoptCheckpointOptions(resumed);
        // Validate everything before any expensive work.
        OptimizerSpec spec = optimizer.build();
        Activation act = Activation.parse(activation);
        Init weightInit = Init.parse(init);
        Schedule sched = Schedule.warmup(warmup, Schedule.parse(schedule));
        StepGuard guard = new StepGuard(clipNorm, clipValue, maxBadSteps);
        data.check();
        if (plot != null && !plot.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new IllegalArgumentException("--plot must name a .png file, got " + plot);
        }
        if (epochs < 1 || epochs > 1_000_000) {
            throw new IllegalArgumentException("--epochs must be in [1, 1000000], got " + epochs);
        }
        if (warmup >= epochs && warmup > 0) {
            throw new IllegalArgumentException("--warmup " + warmup + " must be shorter than --epochs " + epochs
                    + " (the learning rate would never reach its base value)");
        }
        if (epochs < startEpoch) {
            throw new IllegalArgumentException("--epochs " + epochs + " is fewer than the " + startEpoch
                    + " epochs checkpoint " + resume + " has already done");
        }
        stopAfter = stopAfterOption == null ? null : stopEpoch(stopAfterOption, startEpoch, epochs);
        if (stopAfter != null && stopAfter < epochs && checkpoint == null) {
            throw new IllegalArgumentException("--stop-after " + stopAfter + " without --checkpoint would discard the"
                    + " work: add --checkpoint FILE to continue later with --resume");
        }
        for (int width : hidden) {
            if (width < 1 || width > MAX_WIDTH) {
                throw new IllegalArgumentException("--hidden widths must be in [1, " + MAX_WIDTH + "], got " + width);
            }
        }
        if (!batchSize.equals("full")) {
            parseBatch(batchSize, Integer.MAX_VALUE);
        }
        if (valSplit != null && !(valSplit > 0 && valSplit < 1)) {
            throw new IllegalArgumentException("--val-split must be a fraction in (0, 1), got " + valSplit);
        }
        if (patience != null && patience < 1) {
            throw new IllegalArgumentException("--patience must be at least 1, got " + patience);
        }
        OutputPaths.checkWritable("--checkpoint", checkpoint);
        OutputPaths.checkWritable("--plot", plot);
        OutputPaths.checkWritable("--metrics", metrics);

        DataSources.Split raw = data.split(seed);
        String fingerprint = raw.fingerprint();
        if (resumed != null && !fingerprint.equals(resumed.metadata().get(FINGERPRINT))) {
            throw new IllegalArgumentException("the training data from " + data.describe() + " differs from the data"
                    + " checkpoint " + resume + " was trained on (fingerprint " + fingerprint + ", checkpoint "
                    + resumed.metadata().get(FINGERPRINT) + ")");
        }
        DataSources.Split split = raw.normalized();
        // Per-epoch figures come from a validation part of the training rows when asked; the
        // test split is then touched once, after training.
        Dataset trainRows = split.train();
        Dataset perEpoch = split.heldOut();
        if (valSplit != null) {
            Dataset[] parts = trainRows.stratifiedSplit(valSplit, seed);
            trainRows = parts[0];
            perEpoch = parts[1];
        }
        int rows = trainRows.rows();
        int batch = parseBatch(batchSize, rows);
        Model.Builder builder = Model.builder(split.train().cols()).init(weightInit);
        for (int width : hidden) {
            builder.dense(width, act);
        }
        int classes = Math.max(split.train().classes(), split.heldOut().classes());
        Model model = builder.dense(classes, Activation.IDENTITY).build();
        List<String> labels = raw.labels().size() == classes ? raw.labels() : List.of();

        try (Backend device = Backends.open(backendChoice.backend, backendChoice.options());
             Session session = new Session(model, device, spec, Math.max(batch, Math.min(rows, 1024)), !noDecayBias)) {
            if (backendChoice.backend.equals("auto")) {
                System.out.println("backend: auto chose " + device.name() + " (" + device.describe() + ")");
            } else {
                System.out.println("backend: " + device.name() + " (" + device.describe() + ")");
            }
            // The class count is inferred from the largest label, so say it: a stray label shows up here.
            System.out.println("data: " + split.description() + ", " + split.train().cols() + " features, " + classes
                    + " classes" + (valSplit == null ? "" : "; validation: " + perEpoch.rows() + " of the training rows"
                    + " (--val-split " + valSplit + "), test split scored once at the end"));
            System.out.println("model: " + model.architecture() + ", " + spec + ", batch " + batch + ", " + epochs + " epochs");
            session.setGuard(guard);
            session.setParameters(model.initialParameters(seed));
            if (resumed != null) {
                resumed.restore(session);
                System.out.println("resumed from " + resume + " after epoch " + startEpoch);
                noteScheduleChange(resumed, sched);
            }
            Trainer trainer = new Trainer(session, new Trainer.Config(epochs, batch, seed, sched, true));
            List<EpochStats> history = new ArrayList<>();
            EarlyStopping early = patience == null ? null : new EarlyStopping(session, patience);
            try (DeviceDataset train = session.upload(trainRows);
                 DeviceDataset heldOut = session.upload(perEpoch);
                 DeviceDataset test = valSplit == null ? null : session.upload(split.heldOut());
                 MetricsFile metricsOut = metrics == null ? null
                         : new MetricsFile(metrics, resumed != null, valSplit == null ? "held_out" : "val")) {
                ProgressBar bar = quiet ? null : ProgressBar.forConsole();
                TrainingReport report = trainer.fit(train, heldOut, new TrainingListener() {
                    @Override
                    public void onBatch(int epoch, int b, int batches) {
                        if (bar != null) {
                            bar.update(epoch, epochs, b, batches);
                        }
                    }

                    @Override
                    public void onEpoch(EpochStats s) {
                        if (bar != null) {
                            bar.clear();
                        }
                        history.add(s);
                        System.out.println(s.format(epochs, valSplit == null ? "held-out" : "val"));
                        if (metricsOut != null) {
                            metricsOut.write(s);
                        }
                        if (early != null) {
                            early.observe(s);
                        }
                        // With --patience the checkpoint holds the best epoch: it is written only when one improves.
                        if (checkpoint != null && (early == null || early.improved())) {
                            Checkpoint.of(session, metadata(s.epoch(), fingerprint))
                                    .withData(raw.normalization(), labels).save(checkpoint);
                        }
                    }

                    @Override
                    public boolean stopRequested() {
                        return early != null && early.stopRequested();
                    }
                }, startEpoch, stopAfter == null ? epochs : stopAfter);
                if (plot != null && !history.isEmpty()) {
                    PlotWriter.write(plot, history, valSplit == null ? "held-out" : "val");
                    System.out.println("plot: " + plot);
                }
                if (report.halted()) {
                    System.err.println("descent: " + report.haltMessage());
                    return 3;
                }
                if (early != null && early.bestEpoch() > 0) {
                    if (early.stopRequested()) {
                        System.out.printf("early stop: no lower %s loss for %d epochs; keeping epoch %d (loss %.4f)%n",
                                valSplit == null ? "held-out" : "validation", patience, early.bestEpoch(), early.bestLoss());
                    }
                    early.restoreBest();
                }
                String graphs = device.repeatedSteps();
                if (graphs != null) {
                    System.out.println(graphs);
                }
                Evaluation scored = session.evaluate(test == null ? heldOut : test);
                System.out.printf("test accuracy: %.4f%n", scored.accuracy());
            }
        }
        return 0;
    }

    /**
     * Takes every option the user did not give from the checkpoint, and refuses one that
     * contradicts it. Returns the epochs the checkpoint has done.
     */
    private int adoptCheckpointOptions(Checkpoint ck) {
        Map<String, String> meta = ck.metadata();
        Map<String, String> stored = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith(OPTION_KEY)) {
                stored.put(k.substring(OPTION_KEY.length()), v);
            }
        });
        if (stored.isEmpty() || meta.get(EPOCHS_DONE) == null) {
            throw new IllegalArgumentException("checkpoint " + resume + " records no training options (it was"
                    + " written through the API, not by train), so train cannot resume it");
        }
        CommandSpec before = storedCommand(stored);
        ParseResult given = spec.commandLine().getParseResult();
        for (OptionSpec o : spec.options()) {
            OptionSpec was = before.findOption(o.longestName());
            if (RESUMABLE.contains(o.longestName()) || was == null) {
                continue;
            }
            if (!given.hasMatchedOption(o)) {
                o.setValue(was.getValue());
            } else if (!java.util.Objects.equals(o.getValue(), was.getValue())) {
                throw new IllegalArgumentException(o.longestName() + " " + show(o.getValue()) + " contradicts the"
                        + " checkpoint's " + o.longestName() + " " + show(was.getValue()) + " (when resuming, only "
                        + String.join(", ", new java.util.TreeSet<>(RESUMABLE)) + " may change)");
            }
        }
        if (!given.hasMatchedOption("--epochs")) {
            epochs = (Integer) before.findOption("--epochs").getValue();
        }
        return Integer.parseInt(meta.get(EPOCHS_DONE));
    }

    /** A train command parsed from the options a checkpoint stored. */
    private CommandSpec storedCommand(Map<String, String> stored) {
        List<String> args = new ArrayList<>();
        stored.forEach((name, value) -> {
            OptionSpec o = spec.findOption(name);
            if (o != null && o.arity().max() == 0) {
                if (Boolean.parseBoolean(value)) {
                    args.add(name);
                }
            } else if (o != null) {
                args.add(name);
                args.add(value);
            }
        });
        picocli.CommandLine cl = new picocli.CommandLine(new TrainCommand());
        cl.parseArgs(args.toArray(new String[0]));
        return cl.getCommandSpec();
    }

    private static String show(Object value) {
        return value == null ? "(not given)" : value instanceof List<?> l ? joined(l) : String.valueOf(value);
    }

    private static String joined(List<?> values) {
        return values.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }

    /** A schedule that spans the planned epochs changes shape when a resumed run extends the plan. */
    private void noteScheduleChange(Checkpoint ck, Schedule sched) {
        String planned = ck.metadata().get(OPTION_KEY + "--epochs");
        if (planned != null && Integer.parseInt(planned) != epochs && sched != Schedule.CONSTANT) {
            System.out.println("note: --epochs " + epochs + " extends the " + planned + " planned; the --schedule "
                    + schedule + " is now spread over " + epochs + " epochs, so the remaining epochs differ from an"
                    + " uninterrupted " + epochs + "-epoch run's (use --schedule constant for runs you extend)");
        }
    }

    /**
     * The epoch number {@code --stop-after} names: EPOCH as given (an epoch of the whole run, so
     * resuming after epoch 57 takes 58 and up), or +N, N epochs past the {@code done} ones.
     */
    static int stopEpoch(String text, int done, int epochs) {
        String t = text.trim();
        boolean relative = t.startsWith("+");
        int n;
        try {
            n = Integer.parseInt(relative ? t.substring(1) : t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--stop-after must be an epoch number or +N (N more epochs), got '" + text
                    + "'");
        }
        int epoch = relative ? done + n : n;
        int first = done + 1;
        if (relative && (n < 1 || epoch > epochs)) {
            throw new IllegalArgumentException("--stop-after +N must be in [+1, +" + (epochs - done) + "] (" + done
                    + " of --epochs " + epochs + " done), got " + text);
        }
        if (!relative && (epoch < first || epoch > epochs)) {
            throw new IllegalArgumentException("--stop-after " + text + " names the epoch of the whole run to stop after;"
                    + " it must be in [" + first + ", " + epochs + "] since " + done + " of --epochs " + epochs
                    + " are done" + (done > 0 ? " (or use +N for N more epochs)" : ""));
        }
        return epoch;
    }

    static int parseBatch(String text, int rows) {
        if (text.equals("full")) {
            return rows;
        }
        try {
            int b = Integer.parseInt(text.trim());
            if (b < 1) {
                throw new IllegalArgumentException("--batch-size must be >= 1 or 'full', got " + b);
            }
            return Math.min(b, rows);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--batch-size must be a positive integer or 'full', got '" + text + "'");
        }
    }

    /** Every option's value (those resuming may change included, as a record), epochs done, the data's fingerprint. */
    private Map<String, String> metadata(int epochsCompleted, String fingerprint) {
        Map<String, String> meta = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (o.getValue() != null && !o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--resume")) {
                meta.put(OPTION_KEY + o.longestName(), show(o.getValue()));
            }
        }
        meta.put(EPOCHS_DONE, Integer.toString(epochsCompleted));
        meta.put(FINGERPRINT, fingerprint);
        return meta;
    }
}
