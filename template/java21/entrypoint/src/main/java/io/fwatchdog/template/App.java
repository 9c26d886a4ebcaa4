package io.fwatchdog.template;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Entry program of the Java templates; function authors edit function/, not this file.
 *
 * <p>Serves the function's {@code com.openfaas.function.Handler} (an {@code IHandler}, usually
 * an {@code AbstractHandler}) over HTTP with the JDK's own server, with the contract of
 * OpenFaaS's Java templates: an {@code IRequest} in, an {@code IResponse} out. It listens where
 * the watchdog's {@code upstream_url} points (the Dockerfile's ENV). Requests reach the handler
 * one at a time, as with the official entry program.
 */
public final class App {
    private static final String HANDLER = "com.openfaas.function.Handler";
    /** Framing is the server's job: these headers from a handler are not sent. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection");

    private App() {}

    public static void main(String[] args) throws IOException {
        URI upstream = URI.create(System.getenv().getOrDefault("upstream_url", "http://127.0.0.1:8082"));
        if (upstream.getHost() == null || upstream.getPort() < 0) {
            throw new IllegalArgumentException("upstream_url " + upstream + " names no host and port to listen on");
        }
        IHandler handler = loadHandler();
        // The watchdog opens a connection per concurrent request: a deep backlog keeps bursts waiting, not reset.
        HttpServer server = HttpServer.create(new InetSocketAddress(upstream.getHost(), upstream.getPort()), 4096);
        server.createContext("/", exchange -> serve(handler, exchange));
        server.start();
    }

    /** The handler named in a service file for {@code AbstractHandler}, else {@code com.openfaas.function.Handler}. */
    static IHandler loadHandler() {
        for (AbstractHandler handler : ServiceLoader.load(AbstractHandler.class)) {
            return handler;
        }
        try {
            Object handler = Class.forName(HANDLER).getDeclaredConstructor().newInstance();
            if (!(handler instanceof IHandler)) {
                throw new IllegalStateException(HANDLER + " does not implement com.openfaas.model.IHandler");
            }
            return (IHandler) handler;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + HANDLER + " (a public class with a public no-argument constructor)", e);
        }
    }

    static void serve(IHandler handler, HttpExchange exchange) throws IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            // Looked up in any case: getHeader("Content-Type") and getHeader("content-type") alike.
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
                if (!header.getValue().isEmpty()) {
                    headers.put(header.getKey(), header.getValue().get(0));
                }
            }
            URI uri = exchange.getRequestURI();
            IRequest request = new Request(new String(body, StandardCharsets.UTF_8), headers, uri.getRawQuery(), uri.getPath());
            int status;
            byte[] answer;
            try {
                IResponse response = handler.Handle(request);
                if (response == null) {
                    throw new IllegalStateException("Handle returned null, expected an IResponse");
                }
                status = response.getStatusCode();
                String type = response.getContentType();
                if (type != null && !type.isEmpty()) {
                    exchange.getResponseHeaders().set("Content-Type", type);
                }
                for (Map.Entry<String, String> header : response.getHeaders().entrySet()) {
                    if (!FRAMING.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
                        exchange.getResponseHeaders().set(header.getKey(), header.getValue());
                    }
                }
                answer = response.getBody() == null ? new byte[0] : response.getBody().getBytes(StandardCharsets.UTF_8);
            } catch (RuntimeException | Error e) {
                e.printStackTrace(); // to stderr: the function's log
                status = 500;
                exchange.getResponseHeaders().clear();
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                answer = ("Handle threw " + e + "\n").getBytes(StandardCharsets.UTF_8);
            }
            boolean head = exchange.getRequestMethod().equalsIgnoreCase("HEAD");
            // -1: no body at all; 0 would mean a chunked body of unknown length.
            exchange.sendResponseHeaders(status, head || answer.length == 0 ? -1 : answer.length);
            if (!head && answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
        } finally {
            exchange.close();
        }
    }
}
