package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * upstream_protocol=fn with the Java FDK from Maven Central ({@code com.fnproject.fn:runtime},
 * its {@code EntryPoint}) running {@link io.fwatchdog.mode.http.fnjava.JavaFunction} in a JVM of
 * its own, on the test classpath (with the stand-in for the FDK's native socket library).
 */
class FnJavaFdkTest {
    private WatchdogFixture w;

    @AfterEach
    void stop() throws IOException {
        if (w != null) {
            w.close();
        }
    }

    private void start(String... settings) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("mode", "http", "upstream_protocol", "fn", "exec_timeout", "20s",
                "startup_timeout", "60s"));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        w = WatchdogFixture.start(env, List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "com.fnproject.fn.runtime.EntryPoint",
                "io.fwatchdog.mode.http.fnjava.JavaFunction::handleRequest"));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return w.client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(w.uri(path));
    }

    @Test
    void relaysTheFunctionsStatusHeadersAndBody() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/echo?status=202").header("X-Thing", "a b")
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hello")));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(new String(response.body())).isEqualTo("hello");
        assertThat(response.headers().firstValue("x-method")).hasValue("POST");
        assertThat(response.headers().firstValue("x-thing")).hasValue("a b");
        assertThat(response.headers().allValues("x-twice")).containsExactly("one", "two");
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.toLowerCase().startsWith("fn-"));
    }

    @Test
    void carriesAnEightMebibyteBinaryBodyBothWays() throws Exception {
        start();
        byte[] body = new byte[8 << 20];
        new Random(25).nextBytes(body);

        HttpResponse<byte[]> response = send(request("/echo").POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void answers502WhenTheFunctionThrowsAndKeepsServing() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/throw").GET());

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("still up"))).body())
                .asString().isEqualTo("still up");
    }

    @Test
    void answers504AndStartsAFreshFdkWhenACallOverrunsExecTimeout() throws Exception {
        start("exec_timeout", "3s");

        assertThat(send(request("/hang").GET()).statusCode()).isEqualTo(504);
        awaitEcho("after the timeout");
    }

    @Test
    void restartsACrashedFdkAndServesAgain() throws Exception {
        start();

        assertThat(send(request("/crash").GET()).statusCode()).isEqualTo(502);
        awaitEcho("after the crash");
    }

    @Test
    void servesConcurrentCallersOverItsOneConnection() throws Exception {
        start();
        List<CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(w.client.sendAsync(request("/echo").POST(HttpRequest.BodyPublishers.ofString("call " + i))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < calls.size(); i++) {
            assertThat(calls.get(i).get().body()).isEqualTo("call " + i);
        }
    }

    private void awaitEcho(String what) throws Exception {
        Processes.await(Duration.ofSeconds(60), () -> {
            try {
                return send(request("/echo").POST(HttpRequest.BodyPublishers.ofString(what))).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(new String(send(request("/echo").POST(HttpRequest.BodyPublishers.ofString(what))).body())).isEqualTo(what);
    }
}
