package io.fwatchdog;

import static java.util.Objects.requireNonNull;

import io.fwatchdog.config.Config;
import io.fwatchdog.config.ConfigException;
import io.fwatchdog.config.Variable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command line: one flag per configuration variable layered over the environment, the
 * function command after {@code --}, and the container health check.
 *
 * <p>Flags are plain strings copied into the environment map under their variable's name, and
 * the result goes through {@link Config#parse(Map, List)}: one parser for both sources, so a flag
 * gets exactly the validation and messages its variable gets. That is also why no picocli default
 * provider is used: the defaults live in {@link Variable}, which writes them into the help.
 */
@Command(
        name = "fwatchdog",
        versionProvider = Cli.Version.class,
        sortOptions = false,
        usageHelpWidth = 100,
        customSynopsis = {
            "fwatchdog [OPTIONS] [-- COMMAND [ARG...]]",
            "       fwatchdog healthcheck",
        },
        description = "Runs a function behind an HTTP server; a drop-in replacement for the OpenFaaS of-watchdog.",
        optionListHeading = "%nOptions:%n",
        commandListHeading = "%nCommands:%n",
        footer = {
            "",
            "Every option can also be set in the environment, under the variable named before the colon",
            "(exec_timeout for --exec-timeout); a flag overrides its variable, an empty value means the default.",
            "Arguments after -- are the function command, taken verbatim in place of fprocess, e.g.",
            "  fwatchdog --mode=serializing -- python3 handler.py",
            "Durations: seconds (10) or 500ms, 30s, 1m30s, 1.5h. Sizes: bytes or 64Ki, 64Mi, 1Gi.",
            "Booleans: true/false, 1/0, yes/no, on/off. Invalid settings are all reported, exit status 2.",
        })
final class Cli implements Callable<Integer> {
    private static final String RUN_HEALTHCHECK = "--run-healthcheck";

    private final Map<String, String> env;
    private final List<String> command;
    private final ToIntFunction<Config> watchdog;

    @Spec
    private CommandSpec spec;

    private Cli(Map<String, String> env, List<String> command, ToIntFunction<Config> watchdog) {
        this.env = env;
        this.command = command;
        this.watchdog = watchdog;
    }

    /**
     * Runs the command line to completion without exiting the JVM.
     *
     * @param watchdog starts the server with the parsed configuration and returns the exit status
     *     ({@code Watchdog::run} in production; tests pass a fake)
     * @return the process exit status: 0 after {@code --help}, 2 for usage or configuration errors
     */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, ToIntFunction<Config> watchdog) {
        requireNonNull(args, "args");
        // Split at the first "--" ourselves rather than with a picocli positional, so the function
        // command is only ever what follows "--" (a stray word before it is a usage error) and its
        // words reach the function untouched by picocli (no @file expansion, no option matching).
        int dashes = Arrays.asList(args).indexOf("--");
        var flags = dashes < 0 ? args : Arrays.copyOfRange(args, 0, dashes);
        var command = dashes < 0 ? List.<String>of() : List.of(Arrays.copyOfRange(args, dashes + 1, args.length));

        // A container starts the watchdog with its settings in the environment and no flags
        // (CMD ["fwatchdog"]). That path skips picocli: building its model of the command line
        // costs more than the rest of start-up together (its classes predate Java 6, so they are
        // verified the slow way and an AOT cache cannot hold them).
        if (flags.length == 0) {
            return start(Map.copyOf(env), command, err, watchdog);
        }

        var stdout = new PrintWriter(out, true);
        var stderr = new PrintWriter(err, true);
        try {
            var commandLine = new CommandLine(new Cli(Map.copyOf(env), command, watchdog));
            var spec = commandLine.getCommandSpec();
            // Added here rather than annotated so the help lists the variables first, in Variable's order.
            for (var variable : Variable.values()) {
                spec.addOption(flag(variable));
            }
            spec.addOption(OptionSpec.builder(RUN_HEALTHCHECK).arity("0")
                    .description("exit 0 if the lock file $TMPDIR/.lock exists, else 1 (as of-watchdog)").build());
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show this help and exit").build());
            spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("print the version and exit").build());
            return commandLine
                    .setOut(stdout)
                    .setErr(stderr)
                    .setExpandAtFiles(false)
                    .setParameterExceptionHandler(Cli::usageError)
                    .execute(flags);
        } finally {
            stdout.flush();
            stderr.flush();
        }
    }

    /**
     * The mistake, picocli's guess at what was meant if it has one, and where the options are:
     * picocli would print the whole usage, ninety lines that scroll the mistake out of sight.
     */
    private static int usageError(ParameterException e, String[] args) {
        var err = e.getCommandLine().getErr();
        err.println("fwatchdog: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try 'fwatchdog --help' for the options.");
        return CommandLine.ExitCode.USAGE;
    }

    private static OptionSpec flag(Variable variable) {
        var flag = OptionSpec.builder(variable.flag())
                .paramLabel(variable.paramLabel())
                .description(variable.description())
                .type(String.class);
        // A bare boolean flag (--buffer-http) reads as true, the way such flags usually do.
        return (variable.isBoolean() ? flag.arity("0..1").fallbackValue("true") : flag.arity("1")).build();
    }

    @Override
    public Integer call() {
        var parsed = spec.commandLine().getParseResult();
        if (parsed.hasMatchedOption(RUN_HEALTHCHECK)) {
            return healthcheck();
        }
        var effective = new HashMap<>(env);
        for (var variable : Variable.values()) {
            if (parsed.hasMatchedOption(variable.flag())) {
                effective.put(variable.envName(), parsed.matchedOptionValue(variable.flag(), ""));
                // The alias would otherwise win over the canonical name the flag just set.
                variable.alias().ifPresent(effective::remove);
            }
        }
        return start(effective, command, spec.commandLine().getErr(), watchdog);
    }

    /** Parses the effective settings and runs the watchdog, or reports every problem and returns 2. */
    private static int start(Map<String, String> effective, List<String> command, Appendable err,
            ToIntFunction<Config> watchdog) {
        Config config;
        try {
            config = Config.parse(effective, command);
        } catch (ConfigException e) {
            var report = new StringBuilder("fwatchdog: invalid configuration:").append(System.lineSeparator());
            e.problems().forEach(problem -> report.append("  ").append(problem).append(System.lineSeparator()));
            try {
                err.append(report);
            } catch (IOException unwritable) {
                // stderr is gone: the exit status still tells
            }
            return CommandLine.ExitCode.USAGE;
        }
        return watchdog.applyAsInt(config);
    }

    /**
     * Deliberately independent of the rest of the configuration: a container's health probe must
     * answer even when some unrelated variable is odd. Only TMPDIR matters.
     */
    @Command(name = "healthcheck", description = "exit 0 if the lock file $TMPDIR/.lock exists, else 1")
    int healthcheck() {
        if (Files.exists(Config.lockFile(env))) {
            return 0;
        }
        spec.commandLine().getErr().println("unable to find lock file.");
        return 1;
    }

    /** {@code fwatchdog <version>} from the jar manifest; {@code dev} when run from classes. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            var version = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"fwatchdog " + (version == null ? "dev" : version)};
        }
    }
}
