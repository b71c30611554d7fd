# Sluice container image: a Debian 12 build stage that runs exactly what CI runs (make deps, make build), and a
# slim runtime stage with the shared libraries the binary links and nothing else (tests/e2e/packaging_test.cc
# checks both against the binary).
FROM debian:12 AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make deps && make build

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libuv1 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 libre2-9 \
    libstdc++6 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1 \
    librdkafka1 libsasl2-2 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/sluice --shell /usr/sbin/nologin sluice \
 && mkdir -p /var/lib/sluice /etc/sluice \
 && chown sluice:sluice /var/lib/sluice
COPY --from=build /src/build/release/sluice /usr/local/bin/sluice
COPY conf/sluice.yaml /etc/sluice/sluice.yaml
ENV SLUICE_STATE_DIR=/var/lib/sluice
USER sluice
VOLUME ["/var/lib/sluice"]
# The admin API's /healthz (127.0.0.1:8089 unless api.listen says otherwise): unhealthy once a sink has failed for
# longer than api.unhealthy_after.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["sluice", "health"]
ENTRYPOINT ["sluice"]
CMD ["--config", "/etc/sluice/sluice.yaml"]
