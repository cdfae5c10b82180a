package dev.descent.cli;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.DeviceDataset;
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
import dev.descent.data.CsvReader;
import dev.descent.data.DataSources;
import dev.descent.optim.OptimizerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code descent train}: trains an MLP classifier and ends with "test accuracy: 0.xxxx". */
@Command(name = "train", description = "Train an MLP classifier (default: embedded Fashion-MNIST sample, CPU).")
final class TrainCommand implements Callable<Integer> {
    /** Widest hidden layer accepted: 784 x 2^20 weights is already 3 GiB. */
    static final int MAX_WIDTH = 1 << 20;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu, cuda, opencl, reference (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--opencl-device", description = "OpenCL device by index or name (see `devices`)")
    String openclDevice;

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

    @Option(names = "--data", description = "directory with the four Fashion-MNIST/MNIST IDX files")
    Path data;

    @Option(names = "--csv", description = "CSV file, label in the first column, with a header line; 20% held out")
    Path csv;

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

    @Option(names = "--resume", description = "continue from this checkpoint")
    Path resume;

    @Option(names = "--stop-after", description = "end this invocation after this many epochs (with --checkpoint,"
            + " continue later with --resume; schedules still span --epochs)")
    Integer stopAfter;

    @Option(names = "--plot", description = "write loss and accuracy curves to this PNG")
    Path plot;

    @Option(names = "--quiet", description = "no progress bar")
    boolean quiet;

    @Override
    public Integer call() {
        // Validate everything before any expensive work.
        OptimizerSpec spec = optimizer.build();
        Activation act = Activation.parse(activation);
        Init weightInit = Init.parse(init);
        Schedule sched = Schedule.warmup(warmup, Schedule.parse(schedule));
        StepGuard guard = new StepGuard(clipNorm, clipValue, maxBadSteps);
        if (data != null && csv != null) {
            throw new IllegalArgumentException("--data and --csv are exclusive");
        }
        if (plot != null && !plot.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new IllegalArgumentException("--plot must name a .png file, got " + plot);
        }
        if (epochs < 1 || epochs > 1_000_000) {
            throw new IllegalArgumentException("--epochs must be in [1, 1000000], got " + epochs);
        }
        if (warmup > epochs) {
            throw new IllegalArgumentException("--warmup " + warmup + " is longer than --epochs " + epochs);
        }
        if (stopAfter != null && (stopAfter < 1 || stopAfter > epochs)) {
            throw new IllegalArgumentException("--stop-after must be in [1, " + epochs + "], got " + stopAfter);
        }
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
        OutputPaths.checkWritable("--checkpoint", checkpoint);
        OutputPaths.checkWritable("--plot", plot);
        Checkpoint resumed = resume == null ? null : Checkpoint.load(resume);

        if (openclDevice != null) {
            System.setProperty(dev.descent.opencl.OpenClDevices.PROPERTY, openclDevice);
        }
        DataSources.Split split = loadData();
        int rows = split.train().rows();
        int batch = parseBatch(batchSize, rows);
        Model.Builder builder = Model.builder(split.train().cols()).init(weightInit);
        for (int width : hidden) {
            builder.dense(width, act);
        }
        int classes = Math.max(split.train().classes(), split.heldOut().classes());
        Model model = builder.dense(classes, Activation.IDENTITY).build();

        try (Backend device = Backends.open(backend);
             Session session = new Session(model, device, spec, Math.max(batch, Math.min(rows, 1024)), !noDecayBias)) {
            if (backend.equals("auto")) {
                System.out.println("backend: auto chose " + device.name() + " (" + device.describe() + ")");
            } else {
                System.out.println("backend: " + device.name() + " (" + device.describe() + ")");
            }
            // The class count is inferred from the largest label, so say it: a stray label shows up here.
            System.out.println("data: " + split.description() + ", " + split.train().cols() + " features, " + classes
                    + " classes");
            System.out.println("model: " + model.architecture() + ", " + spec + ", batch " + batch + ", " + epochs + " epochs");
            session.setGuard(guard);
            session.setParameters(model.initialParameters(seed));
            int startEpoch = 0;
            if (resumed != null) {
                startEpoch = checkResume(resumed, batch);
                resumed.restore(session);
                System.out.println("resumed from " + resume + " after epoch " + startEpoch);
            }
            Trainer trainer = new Trainer(session, new Trainer.Config(epochs, batch, spec.lr(), seed, sched, true));
            List<EpochStats> history = new ArrayList<>();
            try (DeviceDataset train = session.upload(split.train());
                 DeviceDataset heldOut = session.upload(split.heldOut())) {
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
                        System.out.println(EpochLine.format(s, epochs));
                        if (checkpoint != null) {
                            Checkpoint.of(session, metadata(s.epoch(), batch)).save(checkpoint);
                        }
                    }
                }, startEpoch, stopAfter == null ? epochs : stopAfter);
                if (plot != null && !history.isEmpty()) {
                    PlotWriter.write(plot, history);
                    System.out.println("plot: " + plot);
                }
                if (report.halted()) {
                    System.err.println("descent: " + report.haltMessage());
                    return 3;
                }
                Evaluation test = session.evaluate(heldOut);
                System.out.printf("test accuracy: %.4f%n", test.accuracy());
            }
        }
        return 0;
    }

    private DataSources.Split loadData() {
        if (data != null) {
            return DataSources.idxDirectory(data);
        }
        if (csv != null) {
            dev.descent.data.Dataset all = CsvReader.labelsFirst(true).read(csv);
            if (all.rows() < 2) {
                throw new IllegalArgumentException("--csv " + csv + " has " + all.rows() + " data row; at least 2 are"
                        + " needed, since a fifth of the rows (at least one) is held out to score the model");
            }
            return DataSources.randomSplit(all, Math.max(1, all.rows() / 5), seed);
        }
        return DataSources.embedded();
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

    private Map<String, String> metadata(int epochsCompleted, int batch) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epochs_completed", Integer.toString(epochsCompleted));
        meta.put("seed", Long.toString(seed));
        meta.put("batch_size", Integer.toString(batch));
        return meta;
    }

    /** The checkpoint must come from the same seed and batch size for the resumed run to match. */
    private int checkResume(Checkpoint ck, int batch) {
        Map<String, String> meta = ck.metadata();
        if (!Long.toString(seed).equals(meta.get("seed"))) {
            throw new IllegalArgumentException("--seed " + seed + " differs from the checkpoint's " + meta.get("seed"));
        }
        if (!Integer.toString(batch).equals(meta.get("batch_size"))) {
            throw new IllegalArgumentException("--batch-size " + batch + " differs from the checkpoint's "
                    + meta.get("batch_size"));
        }
        String done = meta.get("epochs_completed");
        if (done == null) {
            throw new IllegalArgumentException("checkpoint " + resume + " records no completed epochs");
        }
        return Math.min(Integer.parseInt(done), epochs);
    }
}
