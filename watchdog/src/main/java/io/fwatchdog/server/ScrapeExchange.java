package io.fwatchdog.server;

import io.fwatchdog.log.Log;
import io.fwatchdog.mode.Responses;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;
import java.util.function.Consumer;

/**
 * One scrape as the Prometheus client's scrape handler sees it: the Netty request it reads, and
 * a response it writes into memory. Runs on the scrape thread; the finished response goes to
 * {@code answer}, which writes it on the connection's event loop. Metrics are a few kilobytes,
 * so buffering the whole answer costs nothing and lets it leave with a Content-Length.
 */
final class ScrapeExchange implements PrometheusHttpExchange, PrometheusHttpRequest, PrometheusHttpResponse {
    private final HttpRequest request;
    private final Consumer<FullHttpResponse> answer;
    private final HttpHeaders headers = new DefaultHttpHeaders();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private HttpResponseStatus status;
    private boolean answered;

    /** @param request handed over by the event loop, which no longer touches it */
    ScrapeExchange(HttpRequest request, Consumer<FullHttpResponse> answer) {
        this.request = request;
        this.answer = answer;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
        return this;
    }

    @Override
    public PrometheusHttpResponse getResponse() {
        return this;
    }

    @Override
    public String getQueryString() {
        String uri = request.uri();
        int query = uri.indexOf('?');
        return query < 0 ? null : uri.substring(query + 1);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        return Collections.enumeration(request.headers().getAll(name));
    }

    @Override
    public String getMethod() {
        return request.method().name();
    }

    @Override
    public String getRequestPath() {
        String uri = request.uri();
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    @Override
    public void setHeader(String name, String value) {
        headers.set(name, value);
    }

    /** The handler's length (-1 for HEAD, 0 when compressing) is ignored: the body is measured when it is done. */
    @Override
    public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength) {
        status = HttpResponseStatus.valueOf(statusCode);
        return body;
    }

    @Override
    public void handleException(IOException e) throws IOException {
        throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
        Log.warn("metrics: scrape failed: " + e);
    }

    /** The handler is done, successfully or not: send what it wrote, or a 500 if it wrote nothing. */
    @Override
    public void close() {
        if (answered) {
            return;
        }
        answered = true;
        if (status == null) {
            answer.accept(Responses.plain(ByteBufAllocator.DEFAULT, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "metrics: the scrape failed; the watchdog's log says why"));
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body.toByteArray()));
        response.headers().set(headers);
        // For HEAD the handler has set the length of the body it did not write; keep it.
        if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.size());
        }
        answer.accept(response);
    }
}
