package dev.descent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * Loads a native library shipped inside a jar. Extracting it to a fresh temp file on every run
 * (what Aparapi does) leaves one copy behind for every process that is killed; instead the library
 * is extracted once into a per-user cache directory, {@code <java.io.tmpdir>/descent-<user>}, under
 * a name that carries a hash of its content, and later runs load that copy. The directory must be
 * owned by the user and closed to everyone else, since whoever can write there chooses the code this
 * process runs; if it is not, a private temp copy deleted at exit is used instead.
 */
public final class NativeLibraries {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private NativeLibraries() {}

    /** True on the platform the bundled libraries are built for. */
    public static boolean isLinuxX64() {
        return "Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"));
    }

    /**
     * Loads {@code resource} (looked up through {@code anchor}'s class loader) with System.load.
     * JNI binds a library to the class loader of the class that loads it: this class must share a
     * loader with the classes whose native methods the library implements.
     *
     * @throws IOException when the resource is missing or cannot be extracted
     */
    public static void load(Class<?> anchor, String resource) throws IOException {
        byte[] bytes;
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is not on the class path");
            }
            bytes = in.readAllBytes();
        }
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        String stem = name.endsWith(".so") ? name.substring(0, name.length() - 3) : name;
        Path dir = privateCacheDirectory();
        Path lib;
        if (dir != null) {
            lib = dir.resolve(stem + "-" + sha256(bytes).substring(0, 16) + ".so");
            if (!Files.isRegularFile(lib, LinkOption.NOFOLLOW_LINKS) || Files.size(lib) != bytes.length) {
                AtomicFile.write(lib, "native library", out -> out.write(bytes));
            }
        } else {
            lib = Files.createTempFile(stem, ".so");
            lib.toFile().deleteOnExit();
            Files.write(lib, bytes);
        }
        System.load(lib.toAbsolutePath().toString());
    }

    /** The per-user cache directory, or null when it cannot be made private to this user. */
    private static Path privateCacheDirectory() {
        try {
            String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "descent-" + user);
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another process made it first; checked below like any existing one
                }
            }
            boolean ours = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    && Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))
                    && Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY);
            return ours ? dir : null;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
