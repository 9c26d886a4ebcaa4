# The fwatchdog image: /opt/fwatchdog (a jlink runtime, the jars, an AOT cache trained in
# place) and the launcher /usr/bin/fwatchdog, on a small glibc base. Function templates copy
# both out of it (see docs/packaging.md). Every build step is a script that CI also runs
# (.ci/run: ./mvnw verify, assemble.sh, smoke-test.sh), so a broken step fails CI.
#
#   docker build -t fwatchdog .
#   docker build --build-arg BASE_IMAGE=ubuntu:24.04 -t fwatchdog:ubuntu .
# For musl (Alpine) images, a runtime linked from a musl JDK (Netty then uses NIO):
#   docker build --build-arg JDK_IMAGE=eclipse-temurin:25-jdk-alpine \
#                --build-arg BASE_IMAGE=alpine:3.22 -t fwatchdog:musl .

ARG JDK_IMAGE=eclipse-temurin:25-jdk
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${JDK_IMAGE} AS build
# strip (binutils) for the runtime's native libraries; bash for the scripts.
RUN if command -v apt-get >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends binutils \
        && rm -rf /var/lib/apt/lists/*; \
    else \
        apk add --no-cache bash binutils; \
    fi
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY watchdog/pom.xml watchdog/
COPY watchdog/src/ watchdog/src/
# The tests run in CI; the image build only packages.
RUN ./mvnw -B -q -DskipTests package
# Assembled and trained at the path it runs from: the AOT cache records the class path.
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
