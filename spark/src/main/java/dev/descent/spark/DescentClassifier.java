package dev.descent.spark;

import dev.descent.Activation;
import dev.descent.Checkpoint;
import dev.descent.Model;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.OptimizerSpecs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * A dense network classifier trained by descent with synchronous data parallelism: one Spark
 * barrier task per partition (or per {@code numTasks}), each on its own device, gradients
 * averaged every step so training equals one process with the global batch
 * ({@link DataParallel}), or with {@code syncEvery} K &gt; 1 parameters averaged every K steps.
 * Features are a vector column, labels a double column holding class
 * indices 0, 1, ...; the fitted {@link DescentClassificationModel} adds raw prediction (logits),
 * probability (softmax) and prediction columns.
 *
 * <p>Optimizer hyperparameters left unset take the optimizer's PyTorch defaults; setting one
 * the chosen optimizer does not have (momentum for Adam) is an error at fit time.
 */
public final class DescentClassifier
        extends ProbabilisticClassifier<Vector, DescentClassifier, DescentClassificationModel>
        implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    // Assigned by uid() during the superclass constructor (see StageIds): no initializer here.
    private String uid;

    private final IntArrayParam hiddenLayers = new IntArrayParam(this, "hiddenLayers",
            "units of each hidden layer, input side first");
    private final Param<String> activation = new Param<>(this, "activation",
            "hidden-layer activation: relu, tanh, sigmoid, gelu, leaky_relu, identity");
    private final Param<String> optimizer = new Param<>(this, "optimizer",
            "sgd, adam, adamw, adagrad, rmsprop, adadelta, nadam or radam",
            ParamValidators.inArray(new String[] {"sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta", "nadam", "radam"}));
    private final DoubleParam learningRate = new DoubleParam(this, "learningRate",
            "base learning rate (unset: the optimizer's PyTorch default; sgd 0.01)", ParamValidators.gt(0));
    private final DoubleParam momentum = new DoubleParam(this, "momentum", "sgd / rmsprop momentum (unset: 0)");
    private final DoubleParam weightDecay = new DoubleParam(this, "weightDecay", "weight decay (unset: 0; adamw 0.01)");
    private final DoubleParam beta1 = new DoubleParam(this, "beta1", "adam-family beta1 (unset: 0.9)");
    private final DoubleParam beta2 = new DoubleParam(this, "beta2", "adam-family beta2 (unset: 0.999)");
    private final IntParam epochs = new IntParam(this, "epochs", "passes over the data", ParamValidators.gtEq(1));
    private final IntParam batchSize = new IntParam(this, "batchSize",
            "rows each task contributes to a step; the global batch is this times the task count", ParamValidators.gtEq(1));
    private final LongParam seed = new LongParam(this, "seed", "initialisation and shuffling seed");
    private final Param<String> backend = new Param<>(this, "backend",
            "backend of tasks Spark gave no GPU: cpu, opencl or cuda (a task given a GPU opens it)");
    private final DoubleParam maxNorm = new DoubleParam(this, "maxNorm",
            "clip the global gradient to this L2 norm (0: off)", ParamValidators.gtEq(0));
    private final DoubleParam clipValue = new DoubleParam(this, "clipValue",
            "clamp each gradient element to +-value (0: off)", ParamValidators.gtEq(0));
    private final Param<String> schedule = new Param<>(this, "schedule",
            "learning-rate schedule: constant, step:EPOCHS:GAMMA, exp:GAMMA, cosine[:MIN_FACTOR]");
    private final Param<String> syncMode = new Param<>(this, "syncMode",
            "how tasks average gradients every step: ring (direct TCP between tasks) or barrier (Spark's allGather,"
                    + " about a second per step)", ParamValidators.inArray(new String[] {"ring", "barrier"}));
    private final IntParam syncEvery = new IntParam(this, "syncEvery",
            "1: average gradients every step (one process's training on the global batch); K > 1: each task steps"
                    + " on its own rows and parameters and optimizer state are averaged every K steps and at each"
                    + " epoch's end (local SGD)", ParamValidators.gtEq(1));
    private final IntParam numTasks = new IntParam(this, "numTasks",
            "training tasks, one per device (0: one per input partition)", ParamValidators.gtEq(0));
    private final IntParam numClasses = new IntParam(this, "numClasses",
            "classes (0: the largest label plus one)", ParamValidators.gtEq(0));
    private final Param<String> checkpointDir = new Param<>(this, "checkpointDir",
            "shared directory for the last epoch's checkpoint, so a rerun stage resumes there (empty: none)");

    /** A classifier with a fresh uid and the defaults: one hidden layer of 128 ReLU units, Adam, 10 epochs, batch 64 per task. */
    public DescentClassifier() {
        this(StageIds.give(null), 0);
    }

    /** @param uid this stage's uid (Spark's copy and load pass it) */
    public DescentClassifier(String uid) {
        this(StageIds.give(uid), 0);
    }

    private DescentClassifier(String given, int unused) {
        uid();
        setDefault(hiddenLayers, new int[] {128});
        setDefault(activation, "relu");
        setDefault(optimizer, "adam");
        setDefault(epochs, 10);
        setDefault(batchSize, 64);
        setDefault(seed, 42L);
        setDefault(backend, "cpu");
        setDefault(maxNorm, 0.0);
        setDefault(clipValue, 0.0);
        setDefault(schedule, "constant");
        setDefault(syncMode, "ring");
        setDefault(syncEvery, 1);
        setDefault(numTasks, 0);
        setDefault(numClasses, 0);
        setDefault(checkpointDir, "");
    }

    private int intOf(IntParam p) {
        return (Integer) getOrDefault(p);
    }

    private double doubleOf(DoubleParam p) {
        return (Double) getOrDefault(p);
    }

    @Override
    public String uid() {
        if (uid == null) {
            uid = StageIds.take("descentClassifier");
        }
        return uid;
    }

    // Spark finds params through public no-argument methods returning them.
    /** @return the hidden layer widths param */ public IntArrayParam hiddenLayers() { return hiddenLayers; }
    /** @return the activation param */ public Param<String> activation() { return activation; }
    /** @return the optimizer param */ public Param<String> optimizer() { return optimizer; }
    /** @return the learning rate param */ public DoubleParam learningRate() { return learningRate; }
    /** @return the momentum param */ public DoubleParam momentum() { return momentum; }
    /** @return the weight decay param */ public DoubleParam weightDecay() { return weightDecay; }
    /** @return the beta1 param */ public DoubleParam beta1() { return beta1; }
    /** @return the beta2 param */ public DoubleParam beta2() { return beta2; }
    /** @return the epochs param */ public IntParam epochs() { return epochs; }
    /** @return the per-task batch param */ public IntParam batchSize() { return batchSize; }
    /** @return the seed param */ public LongParam seed() { return seed; }
    /** @return the backend param */ public Param<String> backend() { return backend; }
    /** @return the global-norm clipping param */ public DoubleParam maxNorm() { return maxNorm; }
    /** @return the value clipping param */ public DoubleParam clipValue() { return clipValue; }
    /** @return the schedule param */ public Param<String> schedule() { return schedule; }
    /** @return the synchronisation param */ public Param<String> syncMode() { return syncMode; }
    /** @return the averaging interval param */ public IntParam syncEvery() { return syncEvery; }
    /** @return the task count param */ public IntParam numTasks() { return numTasks; }
    /** @return the class count param */ public IntParam numClasses() { return numClasses; }
    /** @return the checkpoint directory param */ public Param<String> checkpointDir() { return checkpointDir; }

    /** @param v hidden layer widths @return this */ public DescentClassifier setHiddenLayers(int... v) { return (DescentClassifier) set(hiddenLayers, v); }
    /** @param v activation name @return this */ public DescentClassifier setActivation(String v) { return (DescentClassifier) set(activation, v); }
    /** @param v optimizer name @return this */ public DescentClassifier setOptimizer(String v) { return (DescentClassifier) set(optimizer, v); }
    /** @param v learning rate @return this */ public DescentClassifier setLearningRate(double v) { return (DescentClassifier) set(learningRate, v); }
    /** @param v momentum @return this */ public DescentClassifier setMomentum(double v) { return (DescentClassifier) set(momentum, v); }
    /** @param v weight decay @return this */ public DescentClassifier setWeightDecay(double v) { return (DescentClassifier) set(weightDecay, v); }
    /** @param v beta1 @return this */ public DescentClassifier setBeta1(double v) { return (DescentClassifier) set(beta1, v); }
    /** @param v beta2 @return this */ public DescentClassifier setBeta2(double v) { return (DescentClassifier) set(beta2, v); }
    /** @param v epochs @return this */ public DescentClassifier setEpochs(int v) { return (DescentClassifier) set(epochs, v); }
    /** @param v rows per task per step @return this */ public DescentClassifier setBatchSize(int v) { return (DescentClassifier) set(batchSize, v); }
    /** @param v seed @return this */ public DescentClassifier setSeed(long v) { return (DescentClassifier) set(seed, v); }
    /** @param v backend name @return this */ public DescentClassifier setBackend(String v) { return (DescentClassifier) set(backend, v); }
    /** @param v global-norm threshold @return this */ public DescentClassifier setMaxNorm(double v) { return (DescentClassifier) set(maxNorm, v); }
    /** @param v element bound @return this */ public DescentClassifier setClipValue(double v) { return (DescentClassifier) set(clipValue, v); }
    /** @param v schedule @return this */ public DescentClassifier setSchedule(String v) { return (DescentClassifier) set(schedule, v); }
    /** @param v ring or barrier @return this */ public DescentClassifier setSyncMode(String v) { return (DescentClassifier) set(syncMode, v); }
    /** @param v steps between averages (1: gradients every step) @return this */ public DescentClassifier setSyncEvery(int v) { return (DescentClassifier) set(syncEvery, v); }
    /** @param v training tasks (0: one per partition) @return this */ public DescentClassifier setNumTasks(int v) { return (DescentClassifier) set(numTasks, v); }
    /** @param v classes (0: infer) @return this */ public DescentClassifier setNumClasses(int v) { return (DescentClassifier) set(numClasses, v); }
    /** @param v checkpoint directory @return this */ public DescentClassifier setCheckpointDir(String v) { return (DescentClassifier) set(checkpointDir, v); }

    @Override
    public DescentClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** @return a reader for classifiers saved with {@code write().save(path)} */
    public static MLReader<DescentClassifier> read() {
        return new DefaultParamsReader<>();
    }

    /** @param path where a classifier was saved @return the classifier */
    public static DescentClassifier load(String path) {
        return read().load(path);
    }

    @Override
    public DescentClassificationModel train(Dataset<?> dataset) {
        Dataset<Row> rows = dataset.select(functions.col(getFeaturesCol()), functions.col(getLabelCol()));
        // One Spark job for both the emptiness check and the feature width.
        List<Row> head = rows.takeAsList(1);
        if (head.isEmpty()) {
            throw new IllegalArgumentException("dataset has no rows: nothing to train on (columns "
                    + getFeaturesCol() + ", " + getLabelCol() + ")");
        }
        Row first = head.get(0);
        int features = ((Vector) first.get(0)).size();
        int classes = intOf(numClasses);
        if (classes == 0) {
            classes = (int) Math.floor(((Number) rows.agg(functions.max(functions.col(getLabelCol()))).head().get(0)).doubleValue()) + 1;
        }
        if (classes < 2) {
            throw new IllegalArgumentException("numClasses must be >= 2, got " + classes + " (labels are class indices 0, 1, ...)");
        }
        TrainingConfig config = config(model(features, classes));
        RowToLabeledVector convert = new RowToLabeledVector(features, classes, getFeaturesCol(), getLabelCol());
        DataCheck.everyRow(rows.javaRDD(), convert);
        JavaRDD<LabeledVector> data = rows.javaRDD().map(convert);
        int tasks = intOf(numTasks) > 0 ? intOf(numTasks) : data.getNumPartitions();
        if (data.getNumPartitions() != tasks) {
            data = data.repartition(tasks);
        }
        Checkpoint trained = DataParallel.fitChecked(data, config);
        return new DescentClassificationModel(uid(), trained.toBytes());
    }

    private Model model(int features, int classes) {
        Model.Builder builder = Model.builder(features);
        Activation act = Activation.parse(getOrDefault(activation));
        for (int units : getOrDefault(hiddenLayers)) {
            builder.dense(units, act);
        }
        return builder.dense(classes, Activation.IDENTITY).build();
    }

    /** The training configuration these params describe. */
    TrainingConfig config(Model model) {
        Map<String, String> changes = new LinkedHashMap<>();
        for (DoubleParam p : List.of(learningRate, momentum, weightDecay, beta1, beta2)) {
            if (isDefined(p)) {
                changes.put(p == learningRate ? "lr" : p.name(), Double.toString(doubleOf(p)));
            }
        }
        OptimizerSpec spec = OptimizerSpecs.withChanges(OptimizerSpecs.defaults(getOrDefault(optimizer)), changes);
        return TrainingConfig.of(model, spec, intOf(epochs), intOf(batchSize), (float) spec.lr(),
                        (Long) getOrDefault(seed))
                .withClipping(doubleOf(maxNorm), doubleOf(clipValue))
                .withSchedule(getOrDefault(schedule))
                .withBackend(getOrDefault(backend))
                .withExchange(getOrDefault(syncMode))
                .withSyncEvery(intOf(syncEvery))
                .withCheckpointDir(getOrDefault(checkpointDir));
    }
}
