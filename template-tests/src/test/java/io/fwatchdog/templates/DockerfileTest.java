package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Dockerfile reading that the template tests rely on: ENV in every form Docker accepts. */
class DockerfileTest {

    @Test
    void readsNameValuePairsWithQuotesAndEscapes() {
        assertThat(Dockerfile.environment("a=b c=\"d e\" f='g \"h\"' i=j\\ k l=\"m\\\"n\""))
                .containsExactly(Map.entry("a", "b"), Map.entry("c", "d e"), Map.entry("f", "g \"h\""),
                        Map.entry("i", "j k"), Map.entry("l", "m\"n"));
    }

    @Test
    void readsTheLegacyFormAsTheRestOfTheLine() {
        assertThat(Dockerfile.environment("fprocess  python3   index.py")).containsExactly(Map.entry("fprocess", "python3   index.py"));
    }

    @Test
    void joinsContinuationLinesAndSkipsCommentsInside() {
        Dockerfile dockerfile = Dockerfile.parse("""
                FROM debian AS base
                ENV a=1 \\
                # a comment inside the instruction
                    b="two words" \\

                    c=3
                WORKDIR /home/app
                FROM base
                env d=4
                """);

        assertThat(dockerfile.last().environment()).containsOnly(Map.entry("a", "1"), Map.entry("b", "two words"),
                Map.entry("c", "3"), Map.entry("d", "4"));
        assertThat(dockerfile.last().workdir()).hasValue("/home/app");
    }

    @Test
    void aStageFromAnImageStartsWithoutTheEarlierStagesEnvironment() {
        Dockerfile dockerfile = Dockerfile.parse("FROM debian AS one\nENV a=1\nFROM debian\nENV b=2\n");

        assertThat(dockerfile.last().environment()).containsOnly(Map.entry("b", "2"));
    }

    @Test
    void resolvesGlobalArgumentsInBaseImages() {
        Dockerfile dockerfile = Dockerfile.parse("ARG IMAGE=python:3.12-slim-bookworm\nFROM ${IMAGE} AS base\n");

        assertThat(dockerfile.resolvedBase(dockerfile.last())).isEqualTo("python:3.12-slim-bookworm");
        assertThat(dockerfile.last().name()).hasValue("base");
    }

    @Test
    void refusesVariableSubstitutionItCannotReproduce() {
        assertThatThrownBy(() -> Dockerfile.environment("PATH=$PATH:/opt/bin"))
                .hasMessageContaining("variable substitution is not supported");
        assertThat(Dockerfile.environment("a='$literal'")).containsExactly(Map.entry("a", "$literal"));
    }
}
