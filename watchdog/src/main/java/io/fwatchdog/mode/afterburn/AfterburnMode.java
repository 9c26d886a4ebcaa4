package io.fwatchdog.mode.afterburn;

import io.fwatchdog.config.Config;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.process.ProcessLauncher;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.FunctionEvents;
import io.fwatchdog.mode.Mode;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * afterburn mode (docs/behaviour.md#afterburn-mode): a pool of hot processes, each answering one HTTP/1.1 request at
 * a time on its stdin and stdout. Creating the mode starts {@code min_workers} at once, so
 * they boot while the rest of the watchdog does.
 */
public final class AfterburnMode implements Mode {
    final Config config;
    final Pool pool;

    public AfterburnMode(Config config, ProcessLauncher launcher, FunctionEvents events, Metrics metrics) {
        this.config = config;
        this.pool = new Pool(config, launcher, metrics, events, ByteBufAllocator.DEFAULT);
        pool.start();
    }

    @Override
    public Call open(Exchange exchange) {
        return new AfterburnCall(this, exchange);
    }

    /** Waits for {@code min_workers} to be started, within {@code startup_timeout}. */
    @Override
    public void awaitReady() throws InterruptedException {
        try {
            pool.started().get(config.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("min_workers (" + config.minWorkers() + ") function processes did not start"
                    + " within startup_timeout (" + config.startupTimeout().toMillis() + "ms)");
        }
    }

    @Override
    public boolean ready() {
        return pool.ready();
    }

    /** One request per hot process: the front admits at most {@code workers} at once. */
    @Override
    public int concurrencyLimit() {
        return config.workers();
    }

    @Override
    public void close() {
        pool.close();
    }
}
