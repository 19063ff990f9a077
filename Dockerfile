# The swpt-stomp container image: `docker build -t swpt-stomp .`
#
# Runs the supervisor daemon by default (`swpt-stomp run`); the upstream
# commands keep their names (`--entrypoint swpt-server`, ...). Configure it
# with the upstream environment variables, or mount a YAML file and point
# SWPT_CONFIG (or `run --config`) at it. docs/operations.md §3.

FROM debian:bookworm-slim AS build
# The build's packages: scripts/install-deps without the test and demo ones.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential meson ninja-build pkg-config \
      libasio-dev libssl-dev librabbitmq-dev rapidjson-dev libyaml-cpp-dev \
      libfmt-dev libtomlplusplus-dev libcli11-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup /build --prefix=/usr --buildtype=release --wrap-mode=nodownload \
      -Dtests=false -Dbenchmarks=false -Dsystemd=false \
 && ninja -C /build \
 && DESTDIR=/staging meson install -C /build --no-rebuild --quiet

FROM debian:bookworm-slim
# Only what the executable loads (and CA certificates for amqps:// brokers).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libfmt9 librabbitmq4 libssl3 libtomlplusplus3 libyaml-cpp0.7 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
# The upstream default paths (SWPT_NODEDATA_URL, SWPT_SERVER_CERT,
# SWPT_SERVER_KEY) are where volumes are mounted; nothing is baked in.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin swpt \
 && mkdir -p /var/lib/swpt-nodedata /etc/swpt /secrets /etc/swpt-stomp
# swpt-stomp and its upstream names (symlinks: swpt-server, swpt-client,
# swpt-drainer, configure-queue).
COPY --from=build /staging/usr/bin/ /usr/bin/
USER swpt
EXPOSE 1234
# SIGTERM is the graceful end (at most timeouts.shutdown, 8 s, by default);
# give the container longer than that before it is killed. The daemon
# starts no child processes, so it runs as PID 1 without an init.
STOPSIGNAL SIGTERM
ENTRYPOINT ["swpt-stomp"]
CMD ["run"]
