package io.fwatchdog.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The unix socket Fn's agent calls the function on, when Fn started the container
 * ({@code FN_LISTENER}). Fn's handshake: the socket is bound under another name in the same
 * directory and opened to every user, and only then does the {@code FN_LISTENER} path appear, as
 * a relative symbolic link to it, in one rename, so that the agent (which watches the directory)
 * never finds a socket that does not accept yet. The link appears once the watchdog is healthy;
 * at shutdown the socket closes and both names go.
 */
final class FnListener {
    private final Path link;
    private final Path socket;
    private final Channel channel;

    private FnListener(Path link, Path socket, Channel channel) {
        this.link = link;
        this.socket = socket;
        this.channel = channel;
    }

    /**
     * Binds the socket beside {@code link}, serving each connection with {@code children}.
     *
     * @throws UncheckedIOException naming {@code FN_LISTENER} when it cannot be bound
     */
    static FnListener bind(Path link, EventLoopGroup group, boolean epoll, ChannelHandler children)
            throws InterruptedException {
        Path socket = link.resolveSibling("fwatchdog-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".sock");
        SocketAddress address = epoll ? new DomainSocketAddress(socket.toString()) : UnixDomainSocketAddress.of(socket);
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(epoll ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .handler(new AcceptBackoff("FN_LISTENER"))
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(children)
                    .bind(address)
                    .sync()
                    .channel();
            return new FnListener(link, socket, channel);
        } catch (Exception e) {
            deleteQuietly(socket);
            // sync() rethrows the bind's own IOException undeclared.
            if (e instanceof IOException bindFailure) {
                throw new UncheckedIOException("cannot listen on FN_LISTENER unix:" + link + " (bind " + socket + ": "
                        + bindFailure.getMessage() + ")", bindFailure);
            }
            throw e;
        }
    }

    /**
     * Opens the socket to every user (the agent need not run as the watchdog's user) and makes
     * the link appear, replacing any the directory held.
     *
     * @throws UncheckedIOException when either cannot be done
     */
    void announce() {
        Path pending = link.resolveSibling("." + socket.getFileName() + ".link");
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.deleteIfExists(pending);
            Files.createSymbolicLink(pending, socket.getFileName());
            Files.move(pending, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            deleteQuietly(pending);
            throw new UncheckedIOException("cannot announce FN_LISTENER unix:" + link + " (" + e + ")",
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    Channel channel() {
        return channel;
    }

    Path link() {
        return link;
    }

    /**
     * Removes the link (first, so that the agent stops finding the function) and the socket,
     * and closes the socket; the connections already made go on. Idempotent.
     */
    ChannelFuture close() {
        try {
            if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(socket.getFileName())) {
                Files.deleteIfExists(link);
            }
        } catch (IOException e) {
            // not ours, or gone already
        }
        deleteQuietly(socket);
        return channel.close();
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a socket file left in Fn's per-container directory harms nothing
        }
    }
}
