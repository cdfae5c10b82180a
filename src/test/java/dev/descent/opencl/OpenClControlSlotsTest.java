package dev.descent.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Control;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL kernel reads and writes the control block only through {@link Control}'s named
 * slots (javac inlines them as numbers, so Aparapi translates the same values), and touches
 * exactly the slots the CUDA kernels touch through common.cuh's SLOT_ names, whose numbers
 * CudaEmulationTest checks against Control.java.
 */
class OpenClControlSlotsTest {
    private static final Path KERNEL = Path.of("src/main/java/dev/descent/opencl/ArenaKernel.java");

    @Test
    void controlSlotsAreNamedNeverNumbered() throws IOException {
        String source = Files.readString(KERNEL);
        // A control access is mem[<control offset> + <slot>]; the control offsets are c, control and i7.
        Matcher literal = Pattern.compile("mem\\[(c|control|i7) \\+ \\d+\\]|mem\\[(c|control|i7)\\]").matcher(source);
        List<String> found = new ArrayList<>();
        while (literal.find()) {
            found.add(literal.group());
        }
        assertEquals(List.of(), found, "control slots by number in " + KERNEL);
        for (String slot : slotsUsed(source, "Control\\.([A-Z_]+)")) {
            assertTrue(isSlot(slot), "Control." + slot + " used by the kernel is not a slot constant");
        }
    }

    @Test
    void theOpenClAndCudaKernelsTouchTheSameSlots() throws IOException {
        TreeSet<String> cuda = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("kernels/cuda"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".cu"))::iterator) {
                cuda.addAll(slotsUsed(Files.readString(f), "SLOT_([A-Z_]+)"));
            }
        }
        TreeSet<String> opencl = slotsUsed(Files.readString(KERNEL), "Control\\.([A-Z_]+)");
        assertTrue(opencl.size() >= 15, "slots found in the OpenCL kernel: " + opencl);
        assertEquals(cuda, opencl, "control slots used by kernels/cuda vs ArenaKernel");
    }

    private static TreeSet<String> slotsUsed(String source, String pattern) {
        TreeSet<String> names = new TreeSet<>();
        Matcher m = Pattern.compile(pattern).matcher(source);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static boolean isSlot(String name) {
        try {
            int v = Control.class.getField(name).getInt(null);
            return v >= 0 && v < Control.SIZE;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
