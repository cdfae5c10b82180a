package dev.descent;

import dev.descent.internal.Check;

/**
 * Learning-rate schedules as a multiplier of the base rate, evaluated before every optimizer
 * step from the iteration count (batches since the start of training, skipped steps included),
 * so they are exact on resume. "Epoch" below is the fractional epoch iteration/itersPerEpoch.
 */
public interface Schedule {

    /**
     * Multiplier of the base learning rate.
     *
     * @param iteration the step, 0-based, counted over the whole run
     * @param itersPerEpoch steps per epoch
     * @param totalEpochs epochs planned for the run
     * @return the factor
     */
    double factor(long iteration, int itersPerEpoch, int totalEpochs);

    /** Factor 1 throughout. */
    Schedule CONSTANT = (iteration, itersPerEpoch, totalEpochs) -> 1;

    /**
     * gamma^floor(epoch / stepEpochs), like PyTorch's StepLR stepped once per epoch.
     *
     * @param stepEpochs epochs between decays, at least 1
     * @param gamma the decay factor, positive
     * @return the schedule
     */
    static Schedule step(int stepEpochs, double gamma) {
        Check.atLeast("step epochs", stepEpochs, 1);
        Check.positive("gamma", gamma);
        return (iteration, itersPerEpoch, totalEpochs) -> Math.pow(gamma, (iteration / itersPerEpoch) / stepEpochs);
    }

    /**
     * gamma^floor(epoch), like PyTorch's ExponentialLR stepped once per epoch.
     *
     * @param gamma the decay factor, positive
     * @return the schedule
     */
    static Schedule exponential(double gamma) {
        Check.positive("gamma", gamma);
        return (iteration, itersPerEpoch, totalEpochs) -> Math.pow(gamma, iteration / itersPerEpoch);
    }

    /**
     * Cosine annealing per iteration from 1 down to {@code minFactor} at the end of training:
     * min + (1 - min) * (1 + cos(pi * epoch / totalEpochs)) / 2.
     *
     * @param minFactor the final factor, at least 0
     * @return the schedule
     */
    static Schedule cosine(double minFactor) {
        Check.nonNegative("cosine min factor", minFactor);
        if (minFactor > 1) {
            // A "minimum" above 1 would make the rate rise over training instead of decay.
            throw new IllegalArgumentException("cosine min factor must be in [0, 1], got " + minFactor);
        }
        return (iteration, itersPerEpoch, totalEpochs) -> {
            double progress = Math.min(1, iteration / ((double) itersPerEpoch * totalEpochs));
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /**
     * Linear warmup over the first {@code warmupEpochs} (factor (i+1)/warmupIterations), then
     * {@code after}, started afresh: it sees iterations counted from the end of the warmup and a
     * total shortened by the warmup.
     *
     * @param warmupEpochs epochs of warmup
     * @param after the schedule that follows
     * @return the schedule
     */
    static Schedule warmup(int warmupEpochs, Schedule after) {
        Check.atLeast("warmup epochs", warmupEpochs, 0);
        if (warmupEpochs == 0) {
            return after;
        }
        return (iteration, itersPerEpoch, totalEpochs) -> {
            long warm = (long) warmupEpochs * itersPerEpoch;
            if (iteration < warm) {
                return (iteration + 1) / (double) warm;
            }
            return after.factor(iteration - warm, itersPerEpoch, Math.max(1, totalEpochs - warmupEpochs));
        };
    }

    /**
     * Parses the CLI form: {@code constant}, {@code step:EPOCHS:GAMMA}, {@code exp:GAMMA},
     * {@code cosine} or {@code cosine:MIN_FACTOR}.
     *
     * @param text the option's value
     * @return the schedule
     * @throws IllegalArgumentException naming the text when it is malformed
     */
    static Schedule parse(String text) {
        String[] parts = text.trim().split(":");
        try {
            switch (parts[0]) {
                case "constant":
                    if (parts.length == 1) {
                        return CONSTANT;
                    }
                    break;
                case "step":
                    if (parts.length == 3) {
                        return step(Integer.parseInt(parts[1]), Double.parseDouble(parts[2]));
                    }
                    break;
                case "exp":
                    if (parts.length == 2) {
                        return exponential(Double.parseDouble(parts[1]));
                    }
                    break;
                case "cosine":
                    if (parts.length <= 2) {
                        return cosine(parts.length == 2 ? Double.parseDouble(parts[1]) : 0);
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("schedule '" + text + "' has a malformed number: " + e.getMessage());
        }
        throw new IllegalArgumentException("schedule must be constant, step:EPOCHS:GAMMA, exp:GAMMA or"
                + " cosine[:MIN_FACTOR]; got '" + text + "'");
    }
}
