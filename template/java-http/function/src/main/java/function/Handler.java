package function;

import io.fwatchdog.template.Context;
import io.fwatchdog.template.Event;
import io.fwatchdog.template.FunctionHandler;
import io.fwatchdog.template.Response;

/** The function: edit this class (dependencies go in function/pom.xml). */
public final class Handler implements FunctionHandler {

    /** Greets on GET (?name=...), echoes the request body on any other method. */
    @Override
    public Response handle(Event event, Context context) {
        if (event.method().equals("GET")) {
            String name = event.query().getOrDefault("name", "world");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("name must not be empty");
            }
            return Response.json(200, "{\"message\":\"Hello, " + jsonEscape(name) + "!\"}");
        }
        if (event.body().length == 0) {
            return Response.text(400, "nothing to echo: send a request body\n");
        }
        return Response.of(200, event.header("Content-Type", "application/octet-stream"), event.body())
                .withHeader("X-Body-Size", String.valueOf(event.body().length));
    }

    private static String jsonEscape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
