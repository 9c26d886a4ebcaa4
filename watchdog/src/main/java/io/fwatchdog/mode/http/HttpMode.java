package io.fwatchdog.mode.http;

import io.fwatchdog.config.Config;
import io.fwatchdog.config.Config.UpstreamProtocol;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.process.ProcessLauncher;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.FunctionEvents;
import io.fwatchdog.mode.Mode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import io.netty.handler.codec.http.HttpClientCodec;

/**
 * http mode (docs/behaviour.md#http-mode): a reverse proxy to a long-lived upstream server that the
 * {@link Supervisor} keeps running.
 *
 * <p>Upstream connections are pooled per event loop and live on the event loop of the client
 * connection they serve, so a proxied exchange never crosses threads. They are kept alive
 * between requests; one whose upstream closes it while idle is noticed (a read is pending on
 * every idle connection) and dropped. At least {@value #MIN_IDLE_PER_LOOP} may stay idle per event
 * loop, more while recent demand was higher (up to {@code max_inflight}, else
 * {@value #MAX_IDLE_PER_LOOP}), each for at most {@link #IDLE_TIMEOUT} ({@link UpstreamPool}).
 *
 * <p>With {@code upstream_protocol=fn} the upstream is an Fn FDK function on a socket in a
 * directory the watchdog makes ({@link FnProtocol}): one call at a time, over the one
 * connection {@link FnConnection} keeps.
 */
public final class HttpMode implements Mode {
    /** Longest upstream response line, as on the front. */
    private static final int MAX_STATUS_LINE = 16 * 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    /** Idle connections an event loop may keep whatever the recent demand. */
    static final int MIN_IDLE_PER_LOOP = 32;
    /**
     * The most an event loop keeps when demand was higher and {@code max_inflight} is unset:
     * enough for a heavily concurrent load without closing and reopening connections on every
     * turn of it, and few enough that a function is never left with thousands.
     */
    static final int MAX_IDLE_PER_LOOP = 256;
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a peak of concurrent use is remembered: one to two of these. */
    static final Duration DEMAND_WINDOW = Duration.ofSeconds(1);

    final Config config;
    final UpstreamAddress upstream;
    /** {@link UpstreamAddress#host}, made once: a request without Host gets it. */
    final String upstreamHost;
    final Supervisor supervisor;
    /** Present with {@code upstream_protocol=fn}: the FDK's socket directory. */
    final Optional<FnProtocol.SocketDir> fn;
    private final ConcurrentHashMap<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
    private final Bootstrap poolBootstrap;
    private final int maxIdlePerLoop;
    private final FnConnection fnConnection;

    /**
     * Starts the upstream at once, so that its start-up overlaps the watchdog's own.
     */
    public HttpMode(Config config, ProcessLauncher launcher, FunctionEvents events, Metrics metrics) {
        this.config = config;
        boolean epoll = Epoll.isAvailable();
        if (config.upstreamProtocol() == UpstreamProtocol.FN) {
            this.fn = Optional.of(FnProtocol.SocketDir.create(config.lockFile().getParent()));
            Path socket = fn.get().listener();
            this.upstream = new UpstreamAddress(epoll ? new DomainSocketAddress(socket.toString()) : UnixDomainSocketAddress.of(socket),
                    UnixDomainSocketAddress.of(socket), "", "Fn function at unix:" + socket);
        } else {
            this.fn = Optional.empty();
            this.upstream = UpstreamAddress.parse(config.upstreamUrl().orElseThrow(), epoll);
        }
        this.upstreamHost = upstream.host();
        this.supervisor = new Supervisor(config, launcher, upstream, fn, events, metrics);
        supervisor.start();
        // The NIO transport speaks unix sockets too (JDK 16+), so either transport serves either kind.
        Class<? extends Channel> channelType = upstream.unix()
                ? (epoll ? EpollDomainSocketChannel.class : NioDomainSocketChannel.class)
                : (epoll ? EpollSocketChannel.class : NioSocketChannel.class);
        Bootstrap bootstrap = new Bootstrap()
                .channel(channelType)
                .remoteAddress(upstream.netty())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                // One socket read per read() call: the proxy asks for more only when the client can take it.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 128 * 1024)
                        .maxMessagesPerRead(1));
        if (!upstream.unix() && fn.isEmpty()) {
            bootstrap.option(ChannelOption.TCP_NODELAY, true);
        }
        int maxHeaderSize = config.maxHeaderSize();
        ChannelInitializer<Channel> pipeline = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new HttpClientCodec(MAX_STATUS_LINE, maxHeaderSize, 64 * 1024));
                channel.pipeline().addLast(new ProxyCall.UpstreamHandler());
            }
        };
        this.fnConnection = fn.isEmpty() ? null : new FnConnection(bootstrap.clone().handler(pipeline));
        this.poolBootstrap = bootstrap.clone().handler(pipeline);
        // A loop never has more in use than the watchdog admits at once.
        this.maxIdlePerLoop = config.maxInflight() > 0 ? Math.max(MIN_IDLE_PER_LOOP, config.maxInflight()) : MAX_IDLE_PER_LOOP;
    }

    @Override
    public Call open(Exchange exchange) {
        return new ProxyCall(this, exchange);
    }

    Connections pool(EventLoop loop) {
        if (fnConnection != null) {
            return fnConnection.on(loop);
        }
        UpstreamPool pool = pools.get(loop);
        return pool != null ? pool : pools.computeIfAbsent(loop, this::newPool);
    }

    private UpstreamPool newPool(EventLoop loop) {
        return new UpstreamPool(poolBootstrap.clone(loop), loop, MIN_IDLE_PER_LOOP, maxIdlePerLoop, IDLE_TIMEOUT, DEMAND_WINDOW);
    }

    /** An Fn function takes one call at a time (the contract's promise to functions). */
    @Override
    public int concurrencyLimit() {
        return fn.isPresent() ? 1 : 0;
    }

    @Override
    public boolean ready() {
        return supervisor.ready();
    }

    @Override
    public void awaitReady() throws InterruptedException {
        supervisor.awaitFirstReady();
    }

    /** Drops pooled connections, then stops the upstream: in-flight requests have drained by now. */
    @Override
    public void close() {
        pools.values().forEach(UpstreamPool::close);
        if (fnConnection != null) {
            fnConnection.close();
        }
        supervisor.stop();
        fn.ifPresent(FnProtocol.SocketDir::remove);
    }
}
