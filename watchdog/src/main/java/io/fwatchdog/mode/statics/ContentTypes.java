package io.fwatchdog.mode.statics;

import java.util.Locale;
import java.util.Map;

/**
 * Content-Type by file extension, from a table kept here rather than the platform's: the JDK's
 * built-in map lacks current web types (wasm, woff2, mjs, avif) and {@code /etc/mime.types}
 * differs from one image to the next, while a function's files should be typed the same
 * everywhere. Text types are declared UTF-8; anything unknown is
 * {@code application/octet-stream}.
 */
final class ContentTypes {
    static final String UNKNOWN = "application/octet-stream";

    private static final Map<String, String> TEXT = Map.ofEntries(
            Map.entry("html", "text/html"), Map.entry("htm", "text/html"),
            Map.entry("css", "text/css"), Map.entry("csv", "text/csv"),
            Map.entry("txt", "text/plain"), Map.entry("md", "text/markdown"),
            Map.entry("js", "text/javascript"), Map.entry("mjs", "text/javascript"),
            Map.entry("json", "application/json"), Map.entry("map", "application/json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("xml", "application/xml"), Map.entry("svg", "image/svg+xml"),
            Map.entry("yaml", "application/yaml"), Map.entry("yml", "application/yaml"));

    private static final Map<String, String> BINARY = Map.ofEntries(
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"), Map.entry("avif", "image/avif"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"), Map.entry("otf", "font/otf"),
            Map.entry("wasm", "application/wasm"), Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
            Map.entry("tar", "application/x-tar"),
            Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"),
            Map.entry("mp3", "audio/mpeg"), Map.entry("ogg", "audio/ogg"), Map.entry("wav", "audio/wav"));

    private ContentTypes() {}

    static String of(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot < 0) {
            return UNKNOWN;
        }
        String extension = fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
        String text = TEXT.get(extension);
        if (text != null) {
            return text + "; charset=utf-8";
        }
        return BINARY.getOrDefault(extension, UNKNOWN);
    }
}
