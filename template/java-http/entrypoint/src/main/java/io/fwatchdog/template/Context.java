package io.fwatchdog.template;

/**
 * What the handler may want to know about the call besides the request.
 *
 * @param callId the request's {@code X-Call-Id} (the watchdog makes one when the caller did not)
 */
public record Context(String callId) {}
