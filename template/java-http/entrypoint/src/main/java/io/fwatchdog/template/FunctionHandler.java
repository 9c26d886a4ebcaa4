package io.fwatchdog.template;

/**
 * The function: the template calls {@link #handle} once per request, on a virtual thread of
 * its own (requests run concurrently). Implemented by {@code function.Handler}.
 */
public interface FunctionHandler {
    /**
     * Answers one request. An exception is answered 500 with its class and message, and its
     * stack trace goes to the function's log.
     */
    Response handle(Event event, Context context) throws Exception;
}
