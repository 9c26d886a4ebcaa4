import static org.junit.Assert.assertEquals;

import com.openfaas.function.Handler;
import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import java.util.Map;
import org.junit.Test;

public class HandlerTest {
    @Test
    public void greetsByName() {
        IResponse response = new Handler().Handle(new Request("", Map.of(), "name=Ada", "/"));
        assertEquals(200, response.getStatusCode());
        assertEquals("Hello, Ada!", response.getBody());
    }
}
