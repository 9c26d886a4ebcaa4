package io.fwatchdog.template;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;

/**
 * Entry program of the java-http template; function authors edit {@code function/}, not this.
 * Serves {@code function.Handler} over HTTP with the JDK's own {@code com.sun.net.httpserver},
 * one virtual thread per request, for fwatchdog's http mode. It listens where the watchdog's
 * {@code upstream_url} points, so the port is set in one place (the Dockerfile's ENV).
 */
public final class Main {
    private static final String HANDLER = "function.Handler";
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection");

    private Main() {}

    public static void main(String[] args) throws Exception {
        FunctionHandler handler = loadHandler();
        URI upstream = URI.create(System.getenv().getOrDefault("upstream_url", "http://127.0.0.1:8082"));
        HttpServer server = HttpServer.create(new InetSocketAddress(upstream.getHost(), upstream.getPort()), 128);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> serve(handler, exchange));
        server.start();
    }

    private static FunctionHandler loadHandler() throws ReflectiveOperationException {
        Class<?> type;
        try {
            type = Class.forName(HANDLER);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("no class " + HANDLER + " on the classpath: the function must define it", e);
        }
        if (!FunctionHandler.class.isAssignableFrom(type)) {
            throw new IllegalStateException(HANDLER + " does not implement " + FunctionHandler.class.getName());
        }
        return (FunctionHandler) type.getConstructor().newInstance();
    }

    private static void serve(FunctionHandler handler, HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, String> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) ->
                    headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values)));
            URI uri = exchange.getRequestURI();
            String rawQuery = uri.getRawQuery() == null ? "" : uri.getRawQuery();
            Event event = new Event(exchange.getRequestMethod(), uri.getPath(), query(rawQuery), rawQuery, Map.copyOf(headers), body);

            Response response;
            try {
                response = handler.handle(event, new Context(headers.get("x-call-id")));
                if (response == null) {
                    response = Response.text(500, "handler returned null, expected a Response\n");
                } else if (response.statusCode() < 200 || response.statusCode() > 599) {
                    response = Response.text(500, "statusCode " + response.statusCode() + " is not from 200 to 599\n");
                }
            } catch (Exception e) {
                e.printStackTrace();
                response = Response.text(500, "handler threw " + e.getClass().getName() + ": " + e.getMessage() + "\n");
            }
            response.headers().forEach((name, value) -> {
                if (!FRAMING.contains(name.toLowerCase(Locale.ROOT))) {
                    exchange.getResponseHeaders().add(name, value);
                }
            });
            boolean head = exchange.getRequestMethod().equals("HEAD");
            byte[] data = response.body();
            // -1: no body (HEAD, or an empty one); otherwise the exact length, never chunked.
            exchange.sendResponseHeaders(response.statusCode(), head || data.length == 0 ? -1 : data.length);
            if (!head && data.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(data);
                }
            }
        }
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery.isEmpty()) {
            return query;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            List<String> nameValue = List.of(pair.split("=", 2));
            query.put(URLDecoder.decode(nameValue.get(0), StandardCharsets.UTF_8),
                    nameValue.size() == 2 ? URLDecoder.decode(nameValue.get(1), StandardCharsets.UTF_8) : "");
        }
        return query;
    }
}
