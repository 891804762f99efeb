# Vigía container image: built from Debian bookworm packages only (scripts/deps.sh lists them).
#
#   docker build -t vigia .
#   docker run -d --name vigia -p 127.0.0.1:9464:9464 -v vigia-state:/var/lib/vigia vigia
#
# docs/container.md: volumes, config, secrets, health check.
#
# The base is a tag, not a digest: pin one with --build-arg DEBIAN_IMAGE=debian:bookworm-slim@sha256:...
# where reproducible rebuilds matter.
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
WORKDIR /src
# deps.sh first and alone: the package layer is reused until the list changes.
COPY scripts/deps.sh scripts/deps.sh
RUN ./scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
# Prefix /usr puts the config in /etc/vigia and the state in /var/lib/vigia (cmake/VigiaInstall.cmake);
# a container's admin port must listen beyond its own loopback to be published or probed.
RUN cmake --preset release -B /build -DCMAKE_INSTALL_PREFIX=/usr -DVIGIA_ADMIN_LISTEN=0.0.0.0:9464 \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/staging cmake --install /build --strip

FROM ${DEBIAN_IMAGE}
COPY scripts/deps.sh /tmp/deps.sh
# Exactly the runtime list (installed with --no-install-recommends), so the image cannot drift from it.
RUN /tmp/deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/deps.sh
RUN groupadd --system --gid 10001 vigia \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/vigia --no-create-home \
      --shell /usr/sbin/nologin vigia \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/vigia
# The unit and sysusers snippet in the staging tree are for hosts with systemd; not copied.
COPY --from=build /staging/usr/bin/vigia /usr/bin/vigia
COPY --from=build /staging/usr/share/vigia /usr/share/vigia
COPY --from=build /staging/usr/share/doc/vigia /usr/share/doc/vigia
COPY --from=build /staging/etc/vigia /etc/vigia
# vigia.db (seen items, validators), dead letters and alerts.jsonl survive a new container.
VOLUME ["/var/lib/vigia"]
USER 10001:10001
WORKDIR /var/lib/vigia
EXPOSE 9464
# No curl in the image: the binary probes its own /healthz (exit 0 healthy, 1 not), at the address
# the config listens on.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["vigia", "health", "--config", "/etc/vigia/vigia.yaml", "--timeout-ms", "5000"]
# vigia is PID 1: it handles SIGTERM itself (drain, then exit) and starts no child to reap.
ENTRYPOINT ["vigia"]
CMD ["run", "--config", "/etc/vigia/vigia.yaml"]
