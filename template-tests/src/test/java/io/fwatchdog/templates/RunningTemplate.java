package io.fwatchdog.templates;

import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/**
 * The shared part of the tests that run a template through the watchdog: one {@link TemplateRun}
 * per template, started by the subclass with its starter's first request, stopped after the
 * template's last test.
 */
abstract class RunningTemplate {
    static TemplateRun run;

    @Parameter
    Template template;

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (run != null) {
            run.close();
            run = null;
        }
    }
}
