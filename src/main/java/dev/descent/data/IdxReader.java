package dev.descent.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (gzip-compressed or plain, detected from the
 * first two bytes). Only unsigned-byte data (type 0x08) is accepted, which is what those data
 * sets use. The magic number, the dimension count and the payload size are all validated.
 */
public final class IdxReader {
    private IdxReader() {}

    /** A decoded IDX file: its dimensions and raw unsigned bytes. */
    public record Idx(int[] dims, byte[] data) {
        /**
         * Items in the file: the first dimension.
         *
         * @return the count
         */
        public int count() {
            return dims[0];
        }

        /**
         * Product of all dimensions after the first (e.g. 28*28 for images).
         *
         * @return bytes per item
         */
        public int itemSize() {
            int size = 1;
            for (int i = 1; i < dims.length; i++) {
                size *= dims[i];
            }
            return size;
        }
    }

    /**
     * Reads a file, gzip-compressed or plain.
     *
     * @param file the IDX file
     * @return its dimensions and bytes
     */
    public static Idx read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("IDX file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("IDX file " + file + " is unreadable: " + dev.descent.internal.Check.ioReason(e));
        }
    }

    /**
     * Reads from a stream, gzip-compressed or plain.
     *
     * @param raw the bytes
     * @param name what error messages call the source
     * @return its dimensions and bytes
     */
    public static Idx read(InputStream raw, String name) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(raw);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            DataInputStream data = new DataInputStream(in);
            int magic = data.readInt();
            int type = (magic >>> 8) & 0xff;
            int ndims = magic & 0xff;
            if ((magic >>> 16) != 0 || type != 0x08 || ndims < 1 || ndims > 4) {
                throw new IllegalArgumentException(name + " is not an unsigned-byte IDX file (magic 0x"
                        + Integer.toHexString(magic) + ", expected 0x0000080N with N in 1..4)");
            }
            int[] dims = new int[ndims];
            long size = 1;
            for (int i = 0; i < ndims; i++) {
                dims[i] = data.readInt();
                if (dims[i] <= 0) {
                    throw new IllegalArgumentException(name + " has dimension " + i + " = " + dims[i] + "; must be > 0");
                }
                size *= dims[i];
                if (size > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException(name + " declares " + size + " bytes, more than one array holds");
                }
            }
            // The header, not the file size, sets the allocation: a small gzip file can declare gigabytes.
            // images() later holds the same count as floats, so ask for both at once.
            dev.descent.internal.Memory.requireHeap(size * (1 + Float.BYTES), name + " (" + size + " declared bytes, decoded to floats)");
            byte[] payload = new byte[(int) size];
            data.readFully(payload);
            if (data.read() != -1) {
                throw new IllegalArgumentException(name + (gzip ? " decompresses to" : " has")
                        + " more bytes than the " + size + " its header declares");
            }
            return new Idx(dims, payload);
        } catch (java.util.zip.ZipException e) {
            // Inflater and trailer errors (bad CRC, bad length, corrupt deflate block) come here.
            throw new IllegalArgumentException(name + " is a corrupt gzip file: " + e.getMessage());
        } catch (EOFException e) {
            throw new IllegalArgumentException(name + " is truncated: fewer bytes than its header declares");
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " is unreadable: " + dev.descent.internal.Check.ioReason(e));
        }
    }

    /**
     * Pairs an image file and a label file into a classification dataset of raw pixel values
     * (0 to 255; {@link DataSources#PIXELS} scales them) and 10 classes (or the largest label + 1).
     *
     * @param images the images file, N x rows x cols
     * @param labels the labels file, N
     * @param name what error messages call the pair
     * @return the data set
     */
    public static Dataset images(Idx images, Idx labels, String name) {
        if (images.dims().length < 2) {
            throw new IllegalArgumentException(name + ": image file has " + images.dims().length + " dimension(s), expected >= 2");
        }
        if (labels.dims().length != 1) {
            throw new IllegalArgumentException(name + ": label file has " + labels.dims().length + " dimensions, expected 1");
        }
        if (images.count() != labels.count()) {
            throw new IllegalArgumentException(name + ": " + images.count() + " images but " + labels.count() + " labels");
        }
        int rows = images.count();
        int cols = images.itemSize();
        float[] x = new float[rows * cols];
        byte[] px = images.data();
        for (int i = 0; i < x.length; i++) {
            x[i] = px[i] & 0xff;
        }
        int[] y = new int[rows];
        int classes = 10;
        for (int r = 0; r < rows; r++) {
            y[r] = labels.data()[r] & 0xff;
            classes = Math.max(classes, y[r] + 1);
        }
        return Dataset.classification(x, rows, cols, y, classes);
    }
}
