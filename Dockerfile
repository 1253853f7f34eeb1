# Farrier's container image: built with the same scripts as CI (scripts/build.sh and
# scripts/deps.sh) on Debian 12, then only the binary and the shared libraries it links are kept.
#
#   docker build -t farrier .
#   docker run --rm -p 7778:7778 -v "$PWD/farrier.json:/etc/farrier/config/farrier.json:ro" farrier
#
# tests/docker/run.sh builds and runs this file with podman in the test suite (README,
# "Container image").

FROM debian:bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is reused until deps.sh changes. DEPS=build leaves
# out what only the tests, the demo and the bench need (gtest, nats-server, prometheus, node).
COPY scripts/deps.sh scripts/deps.sh
RUN DEPS=build scripts/deps.sh
# .dockerignore keeps the context to CMakeLists.txt, exporter/ and scripts/.
COPY . .
# Only the farrier target, without the test suite: the image ships nothing else.
RUN DEPS=build FARRIER_BUILD_TESTS=OFF BUILD_TARGETS=farrier BUILD_DIR=/build scripts/build.sh \
  && cmake --install /build --strip --prefix /usr/local

FROM debian:bookworm
COPY scripts/deps.sh /tmp/deps.sh
# apt-get clean: downloaded packages and apt's caches (Debian's published images drop them by
# configuration, a debootstrapped base does not).
RUN DEPS=runtime /tmp/deps.sh && apt-get clean && rm -rf /tmp/deps.sh /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/farrier /usr/local/bin/farrier
# A fixed numeric UID, so that Kubernetes' runAsNonRoot can verify it without a passwd lookup;
# the same as runAsUser in deploy/kubernetes/nats-statefulset.yaml. No home, no shell: farrier
# writes no file.
RUN groupadd --system --gid 65532 farrier \
  && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin farrier
USER 65532:65532
EXPOSE 7778
# Liveness of the web server through /healthz, with bash's /dev/tcp: bash is part of every Debian
# image, while curl or wget would add a dozen libraries (and their CVEs) for this one request.
# It asks the port in FARRIER_WEB_LISTEN_ADDRESS (farrier's own variable for
# --web.listen-address), default :7778; set the port there, not in the file, to keep the check
# pointed at it. Kubernetes ignores HEALTHCHECK and uses the pod's probes instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["bash", "-c", "\
  a=${FARRIER_WEB_LISTEN_ADDRESS:-:7778}; h=${a%:*}; h=${h#[}; h=${h%]}; \
  case $h in ''|0.0.0.0|::) h=127.0.0.1 ;; esac; \
  exec 3<>\"/dev/tcp/$h/${a##*:}\" || exit 1; \
  printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3; \
  read -r status <&3; [[ $status == 'HTTP/1.'?' 200 '* ]]"]
ENTRYPOINT ["/usr/local/bin/farrier"]
# The configuration file: mount it (a ConfigMap directory in Kubernetes) at this path, or replace
# these arguments. Every option also has a FARRIER_* variable (README, "Options").
CMD ["--config", "/etc/farrier/config/farrier.json"]
