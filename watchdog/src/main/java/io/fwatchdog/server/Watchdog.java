package io.fwatchdog.server;

import io.fwatchdog.mode.Mode;
import io.fwatchdog.mode.FunctionEvents;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.server.MetricsServer;
import io.fwatchdog.mode.afterburn.AfterburnMode;
import io.fwatchdog.mode.fork.ForkMode;
import io.fwatchdog.mode.http.HttpMode;
import io.fwatchdog.mode.statics.StaticMode;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.ProcessLauncher;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * Owns the watchdog's life: starts the mode and the listener, reports health once both are
 * ready, and on SIGTERM or SIGINT drains as docs/behaviour.md#shutdown says — fail health, keep serving
 * for {@code healthcheck_interval}, close the listener, let in-flight requests finish within
 * {@code write_timeout}, and only then end the function processes.
 */
public final class Watchdog {
    private final Config config;
    private final ProcessLauncher launcher;
    private final Mode mode;
    private final Health health;
    private final Metrics metrics;
    private final Front front;
    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelType;
    private final Channel listener;
    /** Present when Fn started the container (FN_LISTENER): the agent's calls arrive there. */
    private final Optional<FnListener> fnListener;
    /** Both empty with {@code metrics_port=0}. */
    private final Optional<MetricsServer> metricsServer;
    private final Optional<Channel> metricsListener;
    private final CountDownLatch terminated = new CountDownLatch(1);
    /**
     * Guards {@link #drainer}. Each signal runs its handler on a thread of its own, so two signals
     * sent together call {@link #shutdown} at once: the second must see the drainer started, or
     * its interrupt would have nothing to reach and the drain would wait in full.
     */
    private final Object signalLock = new Object();
    private Thread drainer;
    private volatile int exitStatus;
    private final AtomicBoolean stopped = new AtomicBoolean();
    /** A listener or an event loop died: the watchdog is ending with status 1. */
    private final AtomicBoolean failed = new AtomicBoolean();
    /**
     * The function ended the watchdog (restart_policy), or a listener died: no
     * healthcheck_interval wait, and exitStatus is the status to exit with.
     */
    private volatile boolean ended;

    /** @param metricsPort where the metrics listener binds: {@code metrics_port}, 0 for any port, -1 for none */
    private Watchdog(Config config, int metricsPort) throws InterruptedException {
        this.config = config;
        Log.configure(config.logFormat() == Config.LogFormat.JSON, config.logCallId(),
                config.mode().name().toLowerCase(Locale.ROOT));
        this.metrics = metricsPort < 0 ? Metrics.disabled() : Metrics.create();
        this.launcher = ProcessLauncher.create();
        // An http upstream is ready only once it answers; a forked function is ready at once.
        this.health = new Health(config.suppressLock() ? Optional.empty() : Optional.of(config.lockFile()),
                config.mode() != Config.ModeName.HTTP);
        this.mode = createMode(config, launcher, metrics, new FunctionEvents() {
            @Override
            public void readinessChanged(boolean ready) {
                health.functionReadinessChanged(ready);
            }

            @Override
            public void ended(ExitStatus status) {
                end(status.shellStatus());
            }
        });
        this.front = new Front(config, mode, health, metrics);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(eventLoopCount(), io);
        this.channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        this.metricsServer = metricsPort < 0 ? Optional.empty()
                : Optional.of(MetricsServer.create(metrics, config.readTimeout()));
        Channel bound = null;
        FnListener fnBound = null;
        try {
            bound = listen(config.port(), new FrontInitializer(front, false), "port", "choose another port");
            if (config.fnListener().isPresent()) {
                fnBound = FnListener.bind(config.fnListener().get(), group, epoll, new FrontInitializer(front, true));
            }
            this.metricsListener = metricsServer.isEmpty() ? Optional.empty()
                    : Optional.of(listen(metricsPort, metricsServer.get().initializer(), "metrics_port",
                            "choose another port, or 0 to disable metrics"));
        } catch (RuntimeException | InterruptedException e) {
            // The function processes the mode already started are ended rather than orphaned.
            if (bound != null) {
                bound.close();
            }
            if (fnBound != null) {
                fnBound.close();
            }
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            metricsServer.ifPresent(MetricsServer::close);
            mode.close();
            launcher.close();
            throw e;
        }
        this.listener = bound;
        this.fnListener = Optional.ofNullable(fnBound);
        superviseListenersAndEventLoops();
    }

    /**
     * A listener that closes, or an event loop that ends, while the watchdog is not stopping
     * does not come back: from then on the watchdog would look alive and answer nothing. So
     * health fails at once (the orchestrator stops routing here) and the watchdog ends with
     * status 1 (the orchestrator restarts it).
     */
    private void superviseListenersAndEventLoops() {
        String main = "the listener on port " + port();
        listener.closeFuture().addListener(closed -> died(main + " closed"));
        fnListener.ifPresent(fn -> {
            String what = "the Fn listener on " + fn.link();
            fn.channel().closeFuture().addListener(closed -> died(what + " closed"));
        });
        metricsListener.ifPresent(channel -> {
            String metrics = "the listener on metrics_port " + metricsPort();
            channel.closeFuture().addListener(closed -> died(metrics + " closed"));
        });
        for (EventExecutor loop : group) {
            loop.terminationFuture().addListener(future -> died("an event loop ended"));
        }
    }

    private void died(String what) {
        if (stopped.get() || health.draining() || !failed.compareAndSet(false, true)) {
            return;
        }
        Log.error(what + " while the watchdog was serving; failing health and exiting with status 1 so that it"
                + " is restarted");
        health.markDraining();
        end(1);
    }

    /**
     * One event loop per processor the JVM may use (a container's CPU limit included), as a
     * proxy runs one worker per core: Netty's default of two per processor splits the
     * connections of a single core between two threads that then wake more often for fewer
     * events each. {@code -Dio.netty.eventLoopThreads} still sets the count.
     */
    private static int eventLoopCount() {
        return Math.max(1, Integer.getInteger("io.netty.eventLoopThreads", NettyRuntime.availableProcessors()));
    }

    /**
     * Binds {@code port} on every interface, serving each connection with {@code children}.
     *
     * @throws UncheckedIOException naming {@code setting} and saying what to do ({@code hint})
     *                              when the port cannot be bound
     */
    private Channel listen(int port, ChannelHandler children, String setting, String hint) throws InterruptedException {
        try {
            return new ServerBootstrap()
                    .group(group)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .handler(new AcceptBackoff(setting))
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(children)
                    .bind(port)
                    .sync()
                    .channel();
        } catch (Exception e) {
            // sync() rethrows the bind's own IOException undeclared.
            if (e instanceof IOException bindFailure) {
                throw new UncheckedIOException("cannot listen on " + setting + " " + port + " ("
                        + bindFailure.getMessage() + "); " + hint, bindFailure);
            }
            throw e;
        }
    }

    private static Mode createMode(Config config, ProcessLauncher launcher, Metrics metrics, FunctionEvents events) {
        return switch (config.mode()) {
            case STREAMING, SERIALIZING -> new ForkMode(config, launcher, metrics);
            case HTTP -> new HttpMode(config, launcher, events, metrics);
            case AFTERBURN -> new AfterburnMode(config, launcher, events, metrics);
            case STATIC -> new StaticMode(config);
        };
    }

    /**
     * Starts initialising, on a thread of its own, classes that start-up needs whatever the
     * settings say, so that it overlaps with reading them: the metrics client's configuration,
     * the native launcher's symbols and Netty's epoll transport (which loads its native
     * library). They are independent of each other and of what the caller does meanwhile; the
     * JVM's class initialisation lock makes a thread that needs one first wait for it. A
     * failure here is left for the caller to meet, and report, when it uses the class.
     *
     * @param startsAProcess the function will be started with the watchdog (http mode,
     *     afterburn, prefork): the native calls that start it are bound here too, so that it
     *     starts without waiting for them
     */
    public static void initializeInBackground(boolean startsAProcess) {
        Thread.ofPlatform().daemon().name("fwatchdog-init").start(() -> {
            try {
                Metrics.initializeConfiguration();
                ProcessLauncher.loadNativeSupport(startsAProcess);
                Epoll.isAvailable();
            } catch (RuntimeException | LinkageError e) {
                // Reported where it matters: ProcessLauncher.create() falls back, Epoll says why it is unavailable.
            }
        });
    }

    /**
     * Starts the watchdog: the mode, then the listener; health turns 200 and the lock file
     * appears once both are ready.
     *
     * @throws UncheckedIOException when the lock file cannot be written
     */
    public static Watchdog start(Config config) throws InterruptedException {
        return start(config, metricsBind(config));
    }

    /**
     * As {@link #start(Config)}, with the metrics listener on any free port whatever
     * {@code metrics_port} says; {@link #metricsPort()} tells which. For tests and embedding.
     */
    public static Watchdog startWithMetricsOnAnyPort(Config config) throws InterruptedException {
        return start(config, 0);
    }

    private static Watchdog start(Config config, int metricsPort) throws InterruptedException {
        Watchdog watchdog = new Watchdog(config, metricsPort);
        watchdog.becomeHealthy();
        return watchdog;
    }

    private void becomeHealthy() throws InterruptedException {
        try {
            mode.awaitReady();
            health.markAccepting();
            fnListener.ifPresent(FnListener::announce);
            // Health needs none of it, so it waits until the lock file is written.
            if (config.mode() != Config.ModeName.STATIC) {
                launcher.prepareInBackground();
            }
        } catch (UncheckedIOException | IllegalStateException | InterruptedException e) {
            stopNow();
            throw e;
        }
        Log.info("fwatchdog " + config.mode().name().toLowerCase() + " mode listening on port " + port()
                + (metricsListener.isPresent() ? ", metrics on port " + metricsPort() : ", metrics off")
                + fnListener.map(fn -> ", Fn calls on " + fn.link()).orElse("")
                + (config.functionCommand().isEmpty() ? "" : ", function: " + String.join(" ", config.functionCommand())));
    }

    /** The entry point of {@code main}: runs until SIGTERM or SIGINT and returns the exit status. */
    public static int run(Config config) {
        Watchdog watchdog = null;
        try {
            watchdog = new Watchdog(config, metricsBind(config));
            Watchdog created = watchdog;
            // Before the lock file exists: an orchestrator may signal as soon as it sees health.
            Signal.handle(new Signal("TERM"), signal -> created.shutdown());
            // Ctrl-C at a terminal: nobody routes traffic to a terminal session, so waiting out
            // healthcheck_interval would only keep the user waiting. Otherwise SIGINT is SIGTERM.
            boolean terminal = System.console() != null && System.console().isTerminal();
            Signal.handle(new Signal("INT"), signal -> created.shutdown(terminal));
            watchdog.becomeHealthy();
        } catch (UncheckedIOException e) {
            // The log is configured by now: these lines are in log_format, JSON included.
            Log.error(e.getMessage());
            return 1;
        } catch (IllegalStateException e) {
            // The function could not become ready: with restart_policy=never, its own status.
            Log.error(e.getMessage());
            return watchdog != null && watchdog.ended ? watchdog.exitStatus : 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (RuntimeException e) {
            Log.error("cannot start: " + e.getMessage());
            return 1;
        }
        return watchdog.awaitTermination();
    }

    private static int metricsBind(Config config) {
        return config.metricsPort() == 0 ? -1 : config.metricsPort();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The port the metrics listener is bound to, or 0 when metrics are disabled. */
    public int metricsPort() {
        return metricsListener.map(channel -> ((InetSocketAddress) channel.localAddress()).getPort()).orElse(0);
    }

    /** The main listener, which tests close to play one that dies. */
    Channel listener() {
        return listener;
    }

    /** The Fn listener's socket, which tests close to play one that dies. */
    Optional<Channel> fnListenerChannel() {
        return fnListener.map(FnListener::channel);
    }

    /** The event loops, one of which tests end to play one that dies. */
    EventLoopGroup eventLoops() {
        return group;
    }

    /** Requests admitted to the function and not yet finished. */
    public int inflight() {
        return front.admission.inflight();
    }

    /** Requests waiting for an admission slot. */
    public int queued() {
        return front.admission.queued();
    }

    /** {@code /_/ready} requests waiting for the {@code ready_path} probe in flight. */
    int readinessWaiting() {
        return front.readyProbe.map(ReadyProbe::waiting).orElse(0);
    }

    /**
     * Begins the drain (docs/behaviour.md#shutdown), as SIGTERM does; returns at once. A second call skips the
     * remaining waits.
     */
    public void shutdown() {
        shutdown(false);
    }

    /**
     * As {@link #shutdown()}; with {@code fromTerminal} (Ctrl-C in an interactive run) the first
     * call skips the {@code healthcheck_interval} wait but still lets in-flight requests finish.
     */
    void shutdown(boolean fromTerminal) {
        synchronized (signalLock) {
            if (drainer != null) {
                Log.info("second shutdown signal: skipping the remaining waits");
                // The drainer is alive (started under this lock), so the interrupt stays pending
                // until its next wait even if it has not reached one yet.
                drainer.interrupt();
                return;
            }
            if (fromTerminal) {
                Log.info("interrupt: draining in-flight requests; press Ctrl-C again to stop at once");
            }
            boolean skipInterval = fromTerminal || ended;
            drainer = Thread.ofPlatform().name("fwatchdog-shutdown").start(() -> drain(skipInterval));
        }
    }

    /**
     * The function is gone for good (an http upstream under {@code restart_policy}), or a
     * listener died: drain without the {@code healthcheck_interval} wait and exit with {@code status}.
     */
    void end(int status) {
        exitStatus = status;
        ended = true;
        shutdown();
    }

    /** Blocks until the watchdog has shut down; returns its exit status. */
    public int awaitTermination() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return exitStatus;
    }

    /** Shuts down and waits for it; for tests and embedding. */
    public int close() {
        shutdown();
        return awaitTermination();
    }

    private void drain(boolean skipInterval) {
        boolean waits = true;
        try {
            health.markDraining();
            Duration interval = skipInterval ? Duration.ZERO : config.healthcheckInterval();
            Log.info("shutdown: health now fails; serving for " + Responses.duration(interval) + " more (healthcheck_interval)");
            if (!interval.isZero()) {
                Thread.sleep(interval);
            }
            // await, not sync: a listener whose event loop died fails to close, and the drain goes on.
            listener.close().await();
            if (fnListener.isPresent()) {
                fnListener.get().close().await();
            }
            front.startClosing();
            Log.info("shutdown: listener closed; draining " + front.inflight() + " in-flight requests (write_timeout "
                    + Responses.duration(config.writeTimeout()) + ")");
            if (!front.awaitDrained(config.writeTimeout())) {
                Log.warn("shutdown: " + front.inflight() + " requests still in flight after write_timeout");
            }
        } catch (InterruptedException e) {
            waits = false;
        }
        if (!waits) {
            listener.close();
            fnListener.ifPresent(FnListener::close);
            front.startClosing();
        }
        stopNow();
        Log.info("shutdown complete");
        Log.flush();
        terminated.countDown();
    }

    private void stopNow() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        fnListener.ifPresent(FnListener::close);
        mode.close();
        // The functions are ended by now; what is left to close gets the same bound they had.
        front.connections.close().awaitUninterruptibly(FunctionProcess.KILL_GRACE.toMillis());
        group.shutdownGracefully(0, FunctionProcess.KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly();
        launcher.close();
        metricsServer.ifPresent(MetricsServer::close);
    }
}
