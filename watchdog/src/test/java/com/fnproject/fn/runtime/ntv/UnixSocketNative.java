package com.fnproject.fn.runtime.ntv;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in, in plain Java (JDK unix-domain channels), for the Java FDK's JNI socket library:
 * the FDK's runtime jar on Maven Central does not ship that native library (its images build
 * it), so without this the unchanged FDK could not listen at all. On the test classpath ahead
 * of the runtime jar, it answers the same static calls its {@code UnixSocket} and
 * {@code UnixServerSocket} make, with handles in place of file descriptors; every other FDK
 * class runs as published.
 */
final class UnixSocketNative {
    private static final AtomicInteger NEXT = new AtomicInteger(3);
    private static final Map<Integer, Handle> HANDLES = new ConcurrentHashMap<>();

    /** One socket: a path to bind, then a listener; or a connected stream. */
    private static final class Handle {
        String path;
        ServerSocketChannel server;
        Selector accepts;
        SocketChannel stream;
    }

    private UnixSocketNative() {}

    private static Handle handle(int socket) throws UnixSocketException {
        Handle handle = HANDLES.get(socket);
        if (handle == null) {
            throw new UnixSocketException("no socket " + socket);
        }
        return handle;
    }

    public static int socket() {
        int socket = NEXT.getAndIncrement();
        HANDLES.put(socket, new Handle());
        return socket;
    }

    public static void bind(int socket, String path) throws UnixSocketException {
        handle(socket).path = path;
    }

    public static void connect(int socket, String path) throws IOException {
        handle(socket).stream = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(path)));
    }

    public static void listen(int socket, int backlog) throws UnixSocketException {
        Handle handle = handle(socket);
        try {
            handle.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            handle.server.bind(UnixDomainSocketAddress.of(Path.of(handle.path)), backlog);
            handle.server.configureBlocking(false);
            handle.accepts = Selector.open();
            handle.server.register(handle.accepts, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            throw new UnixSocketException("listen on " + handle.path + ": " + e.getMessage());
        }
    }

    /** A new connection's handle, or 0 when none came within the timeout. */
    public static int accept(int socket, long timeoutMs) throws IOException {
        Handle handle = handle(socket);
        if (handle.accepts.select(Math.max(1, timeoutMs)) == 0) {
            return 0;
        }
        handle.accepts.selectedKeys().clear();
        SocketChannel accepted = handle.server.accept();
        if (accepted == null) {
            return 0;
        }
        accepted.configureBlocking(true);
        int connection = socket();
        HANDLES.get(connection).stream = accepted;
        return connection;
    }

    public static int recv(int socket, byte[] buffer, int offset, int length) throws IOException {
        return handle(socket).stream.read(ByteBuffer.wrap(buffer, offset, length));
    }

    public static int send(int socket, byte[] buffer, int offset, int length) throws IOException {
        return handle(socket).stream.write(ByteBuffer.wrap(buffer, offset, length));
    }

    public static void close(int socket) throws UnixSocketException {
        Handle handle = HANDLES.remove(socket);
        if (handle == null) {
            return;
        }
        try {
            if (handle.stream != null) {
                handle.stream.close();
            }
            if (handle.server != null) {
                handle.accepts.close();
                handle.server.close();
            }
        } catch (IOException e) {
            throw new UnixSocketException("close: " + e.getMessage());
        }
    }

    public static void shutdown(int socket, boolean input, boolean output) throws UnixSocketException {
        try {
            SocketChannel stream = handle(socket).stream;
            if (input) {
                stream.shutdownInput();
            }
            if (output) {
                stream.shutdownOutput();
            }
        } catch (IOException e) {
            throw new UnixSocketException("shutdown: " + e.getMessage());
        }
    }

    // Timeouts and buffer sizes are tuning the FDK sets once per connection; the JDK's defaults serve.

    public static void setSendTimeout(int socket, int timeout) {}

    public static int getSendTimeout(int socket) {
        return 0;
    }

    public static void setRecvTimeout(int socket, int timeout) {}

    public static int getRecvTimeout(int socket) {
        return 0;
    }

    public static void setSendBufSize(int socket, int bufSize) {}

    public static void setRecvBufSize(int socket, int bufSize) {}
}
