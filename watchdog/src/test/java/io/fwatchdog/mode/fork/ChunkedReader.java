package io.fwatchdog.mode.fork;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Reads a chunked HTTP response from a raw stream without holding its body in memory. */
final class ChunkedReader {
    interface Sink {
        void accept(byte[] bytes, int offset, int length) throws IOException;
    }

    private ChunkedReader() {}

    static long readChunkedBody(InputStream in, MessageDigest digest) throws IOException {
        return readChunkedBody(in, digest::update);
    }

    /** Skips the status line and headers, then feeds every chunk to {@code sink}; returns the body size. */
    static long readChunkedBody(InputStream in, Sink sink) throws IOException {
        String line;
        do {
            line = readLine(in);
            if (line == null) {
                throw new IOException("no response");
            }
        } while (!line.isEmpty());
        long total = 0;
        byte[] buffer = new byte[1 << 16];
        while (true) {
            String size = readLine(in);
            if (size == null) {
                throw new IOException("response cut after " + total + " bytes");
            }
            long n = Long.parseLong(size.trim(), 16);
            if (n == 0) {
                return total;
            }
            long left = n;
            while (left > 0) {
                int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (read < 0) {
                    throw new IOException("response cut inside a chunk");
                }
                sink.accept(buffer, 0, read);
                left -= read;
            }
            total += n;
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        if (b < 0 && line.size() == 0) {
            return null;
        }
        String s = line.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
