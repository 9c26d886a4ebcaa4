package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    private UpstreamPool pool(int maxIdle, Duration idleTimeout) {
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .remoteAddress(server.getLocalSocketAddress()).option(ChannelOption.AUTO_READ, false);
        UpstreamPool pool = new UpstreamPool(bootstrap, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel channel) {}

            @Override
            public void channelReleased(Channel channel) {
                channel.read(); // as the proxy does: an idle connection sees its upstream close it
            }
        }, maxIdle, idleTimeout);
        pools.add(pool);
        return pool;
    }

    private static List<Channel> acquire(UpstreamPool pool, int n) throws Exception {
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            channels.add(pool.acquire().get(10, TimeUnit.SECONDS));
        }
        return channels;
    }

    private static void release(UpstreamPool pool, List<Channel> channels) throws Exception {
        for (Channel channel : channels) {
            pool.release(channel).await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void keepsAtMostMaxIdleConnectionsAfterABurstAndClosesTheRest() throws Exception {
        UpstreamPool pool = pool(3, Duration.ofMinutes(5));
        List<Channel> burst = acquire(pool, 10);
        Processes.await(LIMIT, () -> open.get() == 10);

        release(pool, burst);

        Processes.await(LIMIT, () -> open.get() == 3);
        assertThat(pool.idleCount()).isEqualTo(3);
        assertThat(burst.stream().filter(Channel::isActive).count()).isEqualTo(3);
    }

    @Test
    void reusesTheMostRecentlyReleasedConnectionFirst() throws Exception {
        UpstreamPool pool = pool(8, Duration.ofMinutes(5));
        List<Channel> two = acquire(pool, 2);
        // The listener counts a connection once it has accepted it, which may come after connect.
        Processes.await(LIMIT, () -> open.get() == 2);
        release(pool, two);

        Channel again = pool.acquire().get(10, TimeUnit.SECONDS);

        assertThat(again).isSameAs(two.get(1));
        assertThat(open.get()).as("no new connection").isEqualTo(2);
        pool.release(again).await(10, TimeUnit.SECONDS);
    }

    @Test
    void closesAConnectionLeftIdleForTheIdleTimeout() throws Exception {
        UpstreamPool pool = pool(8, Duration.ofMillis(300));
        List<Channel> channels = acquire(pool, 4);
        Processes.await(LIMIT, () -> open.get() == 4);

        release(pool, channels);

        Processes.await(LIMIT, () -> open.get() == 0);
        assertThat(pool.idleCount()).isZero();
    }

    @Test
    void forgetsAnIdleConnectionThatItsUpstreamCloses() throws Exception {
        UpstreamPool pool = pool(8, Duration.ofMinutes(5));
        List<Channel> channels = acquire(pool, 2);
        Processes.await(LIMIT, () -> accepted.size() == 2);
        release(pool, channels);
        assertThat(pool.idleCount()).isEqualTo(2);

        for (Socket socket : accepted) {
            socket.close();
        }

        Processes.await(LIMIT, () -> pool.idleCount() == 0);
        Channel fresh = pool.acquire().get(10, TimeUnit.SECONDS);
        assertThat(fresh.isActive()).isTrue();
        assertThat(channels).doesNotContain(fresh);
        pool.release(fresh).await(10, TimeUnit.SECONDS);
    }
}
