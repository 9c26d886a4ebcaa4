package function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fwatchdog.template.Context;
import io.fwatchdog.template.Event;
import io.fwatchdog.template.Response;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandlerTest {
    private static final Context CONTEXT = new Context("test");
    private final Handler handler = new Handler();

    private static Event event(String method, Map<String, String> query, Map<String, String> headers, String body) {
        return new Event(method, "/", query, "", headers, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void greetsByName() {
        Response response = handler.handle(event("GET", Map.of("name", "Ada \"the first\""), Map.of(), ""), CONTEXT);
        assertEquals(200, response.statusCode());
        assertEquals("{\"message\":\"Hello, Ada \\\"the first\\\"!\"}", new String(response.body(), StandardCharsets.UTF_8));
    }

    @Test
    void refusesAnEmptyName() {
        assertThrows(IllegalArgumentException.class, () -> handler.handle(event("GET", Map.of("name", ""), Map.of(), ""), CONTEXT));
    }

    @Test
    void echoesTheBodyWithItsContentType() {
        Response response = handler.handle(event("POST", Map.of(), Map.of("content-type", "text/plain"), "hi"), CONTEXT);
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), response.body());
        assertEquals("text/plain", response.headers().get("Content-Type"));
        assertEquals("2", response.headers().get("X-Body-Size"));
    }

    @Test
    void answers400ToAnEmptyBody() {
        assertEquals(400, handler.handle(event("POST", Map.of(), Map.of(), ""), CONTEXT).statusCode());
    }
}
