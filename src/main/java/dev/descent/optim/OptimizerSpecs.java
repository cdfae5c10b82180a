package dev.descent.optim;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an optimizer spec as name/value strings and reads it back, for checkpoints. Every spec
 * is a record, so its components are its hyperparameters: the map holds {@code name} plus one
 * entry per component, and a spec added later needs only a line in {@link #TYPES}. Doubles are
 * written with {@link Double#toString}, which reads back to the same bits.
 */
public final class OptimizerSpecs {
    private OptimizerSpecs() {}

    private static final Map<String, Class<? extends OptimizerSpec>> TYPES = Map.of(
            "sgd", Sgd.class, "adam", Adam.class, "adamw", Adam.class, "adagrad", Adagrad.class,
            "rmsprop", RmsProp.class, "adadelta", Adadelta.class, "nadam", NAdam.class, "radam", RAdam.class);

    /**
     * {@code name} then every hyperparameter, in the record's order (how checkpoints store a spec).
     *
     * @param spec the spec
     * @return name and values as strings
     */
    public static Map<String, String> describe(OptimizerSpec spec) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("name", spec.name());
        for (RecordComponent c : spec.getClass().getRecordComponents()) {
            try {
                out.put(c.getName(), String.valueOf(c.getAccessor().invoke(spec)));
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + c.getName() + " of " + spec.name(), e);
            }
        }
        return out;
    }

    /**
     * The rule {@code name} with the CLI's defaults: PyTorch's for every hyperparameter, except
     * SGD's learning rate, 0.01 (PyTorch has none), and AdamW's weight decay, 0.01 as in PyTorch.
     *
     * @param name one of sgd, adam, adamw, adagrad, rmsprop, adadelta, nadam, radam
     * @return the spec
     */
    public static OptimizerSpec defaults(String name) {
        if (name == null || !TYPES.containsKey(name)) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: " + TYPES.keySet());
        }
        return switch (name) {
            case "sgd" -> Sgd.builder().lr(0.01).build();
            case "adam" -> Adam.builder().build();
            case "adamw" -> Adam.adamWBuilder().build();
            case "adagrad" -> Adagrad.builder().build();
            case "rmsprop" -> RmsProp.builder().build();
            case "adadelta" -> Adadelta.builder().build();
            case "nadam" -> NAdam.builder().build();
            default -> RAdam.builder().build();
        };
    }

    /**
     * {@code spec} with some hyperparameters changed, named as {@link #describe} names them
     * ({@code lr}, {@code momentum}, {@code beta1}...). A name the rule does not have is an
     * IllegalArgumentException, so a setting meant for another rule is never silently dropped.
     *
     * @param spec the starting spec
     * @param changes hyperparameter name to new value
     * @return the changed spec, validated
     */
    public static OptimizerSpec withChanges(OptimizerSpec spec, Map<String, String> changes) {
        Map<String, String> described = describe(spec);
        for (Map.Entry<String, String> e : changes.entrySet()) {
            if (e.getKey().equals("name") || !described.containsKey(e.getKey())) {
                throw new IllegalArgumentException("optimizer " + spec.name() + " has no hyperparameter '" + e.getKey()
                        + "'; it has " + described.keySet().stream().filter(k -> !k.equals("name")).toList());
            }
            described.put(e.getKey(), e.getValue());
        }
        return parse(described);
    }

    /**
     * The spec {@link #describe} wrote; an IllegalArgumentException names a missing or bad entry.
     *
     * @param described the map {@link #describe} returned
     * @return the spec
     */
    public static OptimizerSpec parse(Map<String, String> described) {
        String name = described.get("name");
        Class<? extends OptimizerSpec> type = TYPES.get(name);
        if (type == null) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: " + TYPES.keySet());
        }
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            String text = described.get(components[i].getName());
            if (text == null) {
                throw new IllegalArgumentException("optimizer " + name + " has no " + components[i].getName());
            }
            values[i] = types[i] == boolean.class ? parseBoolean(components[i].getName(), text)
                    : Double.valueOf(parseDouble(components[i].getName(), text));
        }
        try {
            Constructor<? extends OptimizerSpec> ctor = type.getDeclaredConstructor(types);
            return ctor.newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof IllegalArgumentException iae ? iae
                    : new IllegalStateException("cannot build optimizer " + name, e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build optimizer " + name, e);
        }
    }

    private static boolean parseBoolean(String key, String text) {
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException("optimizer " + key + " must be true or false, got '" + text + "'");
        }
        return Boolean.parseBoolean(text);
    }

    private static double parseDouble(String key, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("optimizer " + key + " must be a number, got '" + text + "'");
        }
    }
}
