package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fwatchdog.testing.Processes;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The idle upstream connections of an event loop, against a real listening socket that counts
 * the connections still open from its side.
 */
class UpstreamPoolTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;
    private ServerSocket server;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final List<UpstreamPool> pools = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.add(socket);
                    open.incrementAndGet();
                    Thread.ofVirtual().start(() -> awaitClose(socket));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    /** Counts a connection as closed once the pool's side has closed it (end of stream). */
    private void awaitClose(Socket socket) {
        try (InputStream in = socket.getInputStream()) {
            while (in.read() >= 0) {
                // the pool sends nothing; any byte would be ignored
            }
        } catch (IOException reset) {
            // closed all the same
        }
        open.decrementAndGet();
    }

    @AfterEach
    void stop() throws Exception {
        pools.forEach(UpstreamPool::close);
        server.close();
        for (Socket socket : accepted) {
            socket.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** A pool that keeps {@code minIdle} whatever the demand and up to {@code maxIdle} while it lasts. */
    private UpstreamPool pool(int minIdle, int maxIdle, Duration idleTimeout, Duration window) {
        return pool(server.getLocalSocketAddress(), minIdle, maxIdle, idleTimeout, window);
    }

    private UpstreamPool pool(java.net.SocketAddress to, int minIdle, int maxIdle, Duration idleTimeout, Duration window) {
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .remoteAddress(to).option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {}
                });
        UpstreamPool pool = new UpstreamPool(bootstrap, loop, minIdle, maxIdle, idleTimeout, window);
        pools.add(pool);
        return pool;
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }

    /** Acquires on the pool's loop, as a call does. */
    private Channel acquire(UpstreamPool pool) throws Exception {
        CompletableFuture<Channel> got = new CompletableFuture<>();
        loop.execute(() -> pool.acquire(taker(got)));
        try {
            return got.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException failed) {
            throw (Exception) failed.getCause();
        }
    }

    private static Connections.Taker taker(CompletableFuture<Channel> got) {
        return new Connections.Taker() {
            @Override
            public void acquired(Channel channel) {
                got.complete(channel);
            }

            @Override
            public void acquireFailed(Throwable cause) {
                got.completeExceptionally(cause);
            }
        };
    }

    private List<Channel> acquire(UpstreamPool pool, int n) throws Exception {
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            channels.add(acquire(pool));
        }
        return channels;
    }

    private void release(UpstreamPool pool, List<Channel> channels) throws Exception {
        onLoop(() -> {
            channels.forEach(pool::release);
            return null;
        });
    }

    @Test
    void keepsAsManyIdleAsWereRecentlyInUseAndReusesThemWithoutConnecting() throws Exception {
        UpstreamPool pool = pool(2, 64, Duration.ofMinutes(5), Duration.ofMinutes(5));
        List<Channel> burst = acquire(pool, 10);
        Processes.await(LIMIT, () -> accepted.size() == 10);

        release(pool, burst);
        assertThat(onLoop(pool::idleCount)).isEqualTo(10);

        List<Channel> again = acquire(pool, 10);
        assertThat(again).containsExactlyInAnyOrderElementsOf(burst);
        assertThat(accepted).as("no new connection").hasSize(10);
        assertThat(onLoop(pool::inUseCount)).isEqualTo(10);
        release(pool, again);
        assertThat(onLoop(pool::inUseCount)).isZero();
    }

    @Test
    void closesTheSurplusOnceDemandFallsKeepingTheMostRecentlyUsed() throws Exception {
        UpstreamPool pool = pool(3, 64, Duration.ofMinutes(5), Duration.ofMillis(100));
        List<Channel> burst = acquire(pool, 10);
        Processes.await(LIMIT, () -> open.get() == 10);

        release(pool, burst);

        Processes.await(LIMIT, () -> open.get() == 3);
        assertThat(onLoop(pool::idleCount)).isEqualTo(3);
        assertThat(burst.stream().filter(Channel::isActive).toList()).containsExactlyElementsOf(burst.subList(7, 10));
    }

    @Test
    void keepsAtMostMaxIdleConnectionsAfterABurstAndClosesTheRest() throws Exception {
        UpstreamPool pool = pool(2, 4, Duration.ofMinutes(5), Duration.ofMinutes(5));
        List<Channel> burst = acquire(pool, 10);
        Processes.await(LIMIT, () -> open.get() == 10);

        release(pool, burst);

        Processes.await(LIMIT, () -> open.get() == 4);
        assertThat(onLoop(pool::idleCount)).isEqualTo(4);
        assertThat(burst.stream().filter(Channel::isActive).count()).isEqualTo(4);
    }

    @Test
    void reusesTheMostRecentlyReleasedConnectionFirst() throws Exception {
        UpstreamPool pool = pool(8, 8, Duration.ofMinutes(5), Duration.ofMinutes(5));
        List<Channel> two = acquire(pool, 2);
        // The listener counts a connection once it has accepted it, which may come after connect.
        Processes.await(LIMIT, () -> open.get() == 2);
        release(pool, two);

        Channel again = acquire(pool);

        assertThat(again).isSameAs(two.get(1));
        assertThat(open.get()).as("no new connection").isEqualTo(2);
        release(pool, List.of(again));
    }

    @Test
    void handsAnIdleConnectionOverWithinTheAcquireCall() throws Exception {
        UpstreamPool pool = pool(8, 8, Duration.ofMinutes(5), Duration.ofMinutes(5));
        Channel first = acquire(pool);
        release(pool, List.of(first));

        Channel handed = onLoop(() -> {
            CompletableFuture<Channel> got = new CompletableFuture<>();
            pool.acquire(taker(got));
            return got.getNow(null);
        });

        assertThat(handed).isSameAs(first);
        release(pool, List.of(handed));
    }

    @Test
    void closesAConnectionLeftIdleForTheIdleTimeout() throws Exception {
        UpstreamPool pool = pool(8, 8, Duration.ofMillis(300), Duration.ofMinutes(5));
        List<Channel> channels = acquire(pool, 4);
        Processes.await(LIMIT, () -> open.get() == 4);

        release(pool, channels);

        Processes.await(LIMIT, () -> open.get() == 0);
        assertThat(onLoop(pool::idleCount)).isZero();
    }

    @Test
    void forgetsAnIdleConnectionThatItsUpstreamCloses() throws Exception {
        UpstreamPool pool = pool(8, 8, Duration.ofMinutes(5), Duration.ofMinutes(5));
        List<Channel> channels = acquire(pool, 2);
        Processes.await(LIMIT, () -> accepted.size() == 2);
        release(pool, channels);
        assertThat(onLoop(pool::idleCount)).isEqualTo(2);

        for (Socket socket : accepted) {
            socket.close();
        }

        Processes.await(LIMIT, () -> {
            try {
                return onLoop(pool::idleCount) == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Channel fresh = acquire(pool);
        assertThat(fresh.isActive()).isTrue();
        assertThat(channels).doesNotContain(fresh);
        release(pool, List.of(fresh));
    }

    @Test
    void doesNotKeepAConnectionGivenBackClosed() throws Exception {
        UpstreamPool pool = pool(8, 8, Duration.ofMinutes(5), Duration.ofMinutes(5));
        Channel channel = acquire(pool);
        onLoop(() -> {
            channel.close();
            pool.release(channel);
            return null;
        });

        assertThat(onLoop(pool::idleCount)).isZero();
        assertThat(onLoop(pool::inUseCount)).isZero();
    }

    @Test
    void reportsAFailedConnectAndCountsNothingInUse() throws Exception {
        java.net.SocketAddress nobody;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nobody = closed.getLocalSocketAddress();
        }
        UpstreamPool pool = pool(nobody, 8, 8, Duration.ofMinutes(5), Duration.ofMinutes(5));

        assertThatThrownBy(() -> acquire(pool)).isInstanceOf(java.net.ConnectException.class);
        assertThat(onLoop(pool::inUseCount)).isZero();
    }

    @Test
    void closesConnectionsGivenBackAfterThePoolClosed() throws Exception {
        UpstreamPool pool = pool(8, 8, Duration.ofMinutes(5), Duration.ofMinutes(5));
        List<Channel> channels = acquire(pool, 2);
        Processes.await(LIMIT, () -> open.get() == 2);
        release(pool, channels.subList(0, 1));

        pool.close();
        release(pool, channels.subList(1, 2));

        Processes.await(LIMIT, () -> open.get() == 0);
    }
}
