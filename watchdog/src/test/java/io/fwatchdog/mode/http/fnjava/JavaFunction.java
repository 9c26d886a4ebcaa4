package io.fwatchdog.mode.http.fnjava;

import com.fnproject.fn.api.httpgateway.HTTPGatewayContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * An Fn function for the Java FDK, written as any Fn Java function is, for the
 * upstream_protocol=fn tests: what it does is chosen by the request's path.
 */
public class JavaFunction {
    public byte[] handleRequest(HTTPGatewayContext gateway, byte[] body) throws InterruptedException {
        URI url = URI.create(gateway.getRequestURL());
        switch (url.getPath()) {
            case "/echo" -> {
                String query = url.getQuery();
                gateway.setStatusCode(query != null && query.startsWith("status=") ? Integer.parseInt(query.substring(7)) : 200);
                gateway.setResponseHeader("X-Method", gateway.getMethod());
                gateway.addResponseHeader("X-Twice", "one");
                gateway.addResponseHeader("X-Twice", "two");
                gateway.setResponseHeader("X-Thing", gateway.getHeaders().get("X-Thing").orElse("none"));
                return body;
            }
            case "/throw" -> throw new IllegalStateException("the function broke");
            case "/hang" -> {
                new CountDownLatch(1).await();
                return body;
            }
            case "/crash" -> {
                System.exit(3);
                return body;
            }
            default -> {
                gateway.setStatusCode(404);
                return ("no such test: " + url.getPath()).getBytes(StandardCharsets.UTF_8);
            }
        }
    }
}
