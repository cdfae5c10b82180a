package dev.descent.bench;

import dev.descent.Activation;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Trainer;
import dev.descent.data.DataSources;
import dev.descent.optim.Adam;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One epoch of the default workload end to end: the embedded Fashion-MNIST training split
 * (8,000 images), 784-256-128-10 ReLU, Adam, batch 64, shuffled, plus held-out evaluation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class EpochBench {
    private Session session;
    private DeviceDataset train;
    private DeviceDataset heldOut;
    private int epoch;

    @Setup(Level.Trial)
    public void setup(BackendState b) {
        DataSources.Split split = DataSources.embedded();
        Model model = Model.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).build();
        session = Session.create(model, b.be, Adam.adam(1e-3), 64, 42);
        train = session.upload(split.train());
        heldOut = session.upload(split.heldOut());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        train.close();
        heldOut.close();
        session.close();
    }

    @Benchmark
    public double epoch() {
        Trainer t = new Trainer(session, new Trainer.Config(1, 64, 42 + epoch++, Schedule.CONSTANT, true));
        return t.fit(train, heldOut, null).last().heldOutAccuracy();
    }
}
