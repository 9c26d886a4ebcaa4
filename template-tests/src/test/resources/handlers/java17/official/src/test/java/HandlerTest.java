import static org.junit.Assert.assertNotNull;

import com.openfaas.function.Handler;
import com.openfaas.model.IHandler;
import org.junit.Test;

// The official starter's test: JUnit 4, in the default package.
public class HandlerTest {
    @Test
    public void createsTheHandler() {
        IHandler handler = new Handler();
        assertNotNull(handler);
    }
}
