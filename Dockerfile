# The fwatchdog image: /opt/fwatchdog (a jlink runtime with its own glibc, the jars, an AOT
# cache trained in place) and the launcher /usr/bin/fwatchdog, on a small base. Function
# templates copy both out of it onto any base, glibc, musl (Alpine) or distroless (see
# docs/packaging.md). Every build step is a script that CI also runs (.ci/run: ./mvnw verify,
# assemble.sh, smoke-test.sh, bare-root-test.sh), and CI builds and runs this image
# (.ci/image-test).
#
#   docker build -t fwatchdog .
#   docker build --build-arg BASE_IMAGE=ubuntu:24.04 -t fwatchdog:ubuntu .
# JDK_IMAGE must be a glibc JDK 25 (Debian or Ubuntu based, for apt-get).

ARG JDK_IMAGE=eclipse-temurin:25-jdk
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${JDK_IMAGE} AS build
# strip and readelf (binutils) for the runtime's native libraries, patchelf to point them at
# the bundled glibc; installed unless the JDK image has them.
RUN if ! command -v strip >/dev/null || ! command -v patchelf >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends binutils patchelf \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY watchdog/pom.xml watchdog/
COPY template-tests/pom.xml template-tests/
COPY watchdog/src/ watchdog/src/
# The tests run in CI; the image build only packages the watchdog (the reactor needs every
# module's pom.xml).
RUN ./mvnw -B -q -DskipTests package -pl watchdog
# Assembled and trained at the path it runs from: the runtime finds its bundled loader by
# absolute path, and the AOT cache records the class path.
RUN watchdog/src/dist/assemble.sh --jdk "$JAVA_HOME" /opt/fwatchdog

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0-SNAPSHOT
ARG REVISION=unknown
LABEL org.opencontainers.image.title="fwatchdog" \
      org.opencontainers.image.description="Function watchdog (Java, Netty): a drop-in replacement for the OpenFaaS of-watchdog" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /opt/fwatchdog /opt/fwatchdog
COPY --from=build /opt/fwatchdog/bin/fwatchdog /usr/bin/fwatchdog
RUN if command -v useradd >/dev/null; then \
        groupadd --system app && useradd --system --gid app --no-create-home --shell /usr/sbin/nologin app; \
    else \
        addgroup -S app && adduser -S -G app -H -s /sbin/nologin app; \
    fi
USER app
EXPOSE 8080 8081
HEALTHCHECK --interval=5s --timeout=3s CMD ["fwatchdog", "--run-healthcheck"]
CMD ["fwatchdog"]
