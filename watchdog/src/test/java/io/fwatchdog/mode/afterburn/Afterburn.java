package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.testing.WatchdogFixture.function;

import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starting afterburn watchdogs around the test loops, and talking to them. */
final class Afterburn {
    static final String PYTHON_LOOP = "python3 " + function("afterburn/loop.py") + " " + function("afterburn/handler.py");
    static final String NODE_LOOP = "node " + function("afterburn/loop.js") + " " + function("afterburn/handler.js");
    static final String FAULTY = "python3 " + function("afterburn/faulty.py");
    static final String HISTORICAL = "python3 " + function("afterburn/historical.py");
    static final String ONE_READ = "python3 " + function("afterburn/oneread.py");

    private Afterburn() {}

    static WatchdogFixture start(String command, String... settings) throws Exception {
        return WatchdogFixture.start(env(command, settings));
    }

    static WatchdogFixture startWithMetrics(String command, String... settings) throws Exception {
        return WatchdogFixture.startWithMetrics(env(command, settings));
    }

    static Map<String, String> env(String command, String... settings) {
        Map<String, String> env = new HashMap<>(Map.of("mode", "afterburn", "fprocess", command));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return env;
    }

    static HttpResponse<String> send(WatchdogFixture w, HttpRequest.Builder request) throws Exception {
        return w.client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<byte[]> sendBytes(WatchdogFixture w, HttpRequest.Builder request) throws Exception {
        return w.client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The fwatchdog_hot_workers gauge for one state (idle, busy, starting), scraped now. */
    static long hotWorkers(WatchdogFixture w, String state) {
        try {
            return AfterburnPoolTest.gauge(w.scrape(), "fwatchdog_hot_workers{state=\"" + state + "\"}");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The process id a worker answered with (the loops' /pid, the faulty loop's /ok). */
    static long pid(WatchdogFixture w, String path) throws Exception {
        HttpResponse<String> response = w.get(path);
        if (response.statusCode() != 200) {
            throw new AssertionError(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return Long.parseLong(response.body().trim());
    }
}
