#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman and runs the image against a real nats-server:
# /metrics must show nats_up 1 and the server's own identity from /varz, the process must run as
# the image's non-root UID, and the image's HEALTHCHECK must pass against farrier and fail against
# a closed port.
#
#   run.sh SOURCE_DIR STATE_DIR
#
# This machine has no Docker engine and no registry, so the workarounds live here and in
# scripts/lib.sh (podman_setup, podman_base_image: shared with tests/package/run.sh), not in the
# Dockerfile:
# - the base image debian:bookworm is made with debootstrap (minbase) from the machine's own apt
#   mirror and imported into podman;
# - podman keeps its storage in STATE_DIR/podman (in the build tree), apart from the machine's
#   /var/lib/containers. It is kept across runs on purpose: the base image and the build cache
#   make a rerun take seconds instead of minutes. Delete that directory to start cold;
# - overlay storage when the kernel lets us mount it, vfs (full copies, slower) otherwise;
# - builds use --isolation chroot --network host (no OCI runtime, no network namespace);
# - runs use runc with --network host and ulimits no higher than this shell's hard limits (the
#   runtime's defaults are higher and runc may not raise them here);
# - --format docker, since the OCI image format has no HEALTHCHECK.
#
# Skips (exit 77) only outside CI when not root or without podman; with CI=true a missing
# prerequisite fails.
set -euo pipefail

source_dir=$(cd "$1" && pwd)
state_dir=$2
source "$source_dir/scripts/lib.sh"

podman_test_begin "docker test" runc debootstrap nats-server curl

image=localhost/farrier:test
container=farrier-docker-test-$$
mkdir -p "$state_dir/podman"
work=$(mktemp -d "$state_dir/run.XXXXXX")
nats_pid=
# podman_test_exit (scripts/lib.sh) calls this first, then stops nats-server and removes $work.
on_exit() {
  if (($1 != 0)) && podman container exists "$container" 2>/dev/null; then
    log "container log:"
    podman logs "$container" 2>&1 | tail -n 40 >&2 || true
  fi
  podman rm --force --time 2 "$container" >/dev/null 2>&1 || true
}

# --- podman configuration (only for this script's podman calls) ---------------------------------

# Storage, configuration and the options of every podman run (scripts/lib.sh), shared with
# tests/package/run.sh: STATE_DIR/podman holds both tests' images.
podman_setup "$state_dir/podman"
driver=$podman_driver
run_options=("${podman_run_options[@]}")

# A run killed by ctest's timeout could not clean up: remove its containers (by this script's
# name prefix; the storage is shared with tests/package, whose containers are named otherwise).
podman ps --all --quiet --filter name=farrier-docker-test- |
  xargs --no-run-if-empty podman rm --force >/dev/null

# --- base image ----------------------------------------------------------------------------------

podman_base_image "$work"
phase "base image ready"

# --- image ---------------------------------------------------------------------------------------

log "podman build ($driver storage)"
podman build --isolation chroot --network host --pull=never --format docker --layers \
  --tag "$image" --file "$source_dir/Dockerfile" "$source_dir" >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; die "podman build failed"; }
size=$(podman image inspect --format '{{.Size}}' "$image")
phase "image built: $image, $((size / 1000000)) MB"

# The image's own promises, read back from its configuration.
[[ $(podman image inspect --format '{{.Config.User}}' "$image") == 65532:65532 ]] ||
  die "image USER is not 65532:65532"
podman image inspect --format '{{json .Config.ExposedPorts}}' "$image" | grep -q '"7778/tcp"' ||
  die "image does not expose 7778/tcp"
podman image inspect --format '{{json .Config.Healthcheck}}' "$image" | grep -q '"CMD"' ||
  die "image has no HEALTHCHECK"
# Nothing but farrier from the build stage: no compiler in the runtime image.
tools=$(podman run --rm "${run_options[@]}" --no-healthcheck --entrypoint bash "$image" \
  -c 'for t in cc c++ g++ cmake make; do command -v "$t"; done; echo checked') ||
  die "could not run bash in the image"
[[ $tools == checked ]] || die "the runtime image contains build tools: $tools"

# --- run -----------------------------------------------------------------------------------------

nats_port=$(free_port)
monitor_port=$(free_port)
server_name=farrier-docker-test-$$
nats-server -a 127.0.0.1 -p "$nats_port" -m "$monitor_port" -n "$server_name" \
  >"$work/nats-server.log" 2>&1 &
nats_pid=$!
wait_http "http://127.0.0.1:$monitor_port/healthz" 20 || die "nats-server did not start"

web_port=$(free_port)
# Only the file tells farrier where nats-server is (its default would be 127.0.0.1:8222), so
# nats_up 1 with this server's id shows the mounted file was read. The listen address goes in
# FARRIER_WEB_LISTEN_ADDRESS, where the image's HEALTHCHECK looks for it.
cat >"$work/farrier.json" <<EOF
{
  "nats": { "monitor_url": "http://127.0.0.1:$monitor_port" },
  "poll": { "interval": "1s", "timeout": "1s" }
}
EOF
chmod 0644 "$work/farrier.json"
podman run --detach --name "$container" "${run_options[@]}" \
  --volume "$work/farrier.json:/etc/farrier/config/farrier.json:ro" \
  --env "FARRIER_WEB_LISTEN_ADDRESS=127.0.0.1:$web_port" \
  "$image" >/dev/null 2>"$work/podman-run.err" ||
  { cat "$work/podman-run.err" >&2; die "podman run failed"; }
# (podman-run.err also holds podman's complaint that it cannot schedule the healthcheck with
# systemd, which is not running here; `podman healthcheck run` below works without it.)
wait_http "http://127.0.0.1:$web_port/healthz" 30 || die "farrier did not serve /healthz"

metrics=
for _ in $(seq 1 100); do
  metrics=$(curl -sf "http://127.0.0.1:$web_port/metrics") || true
  grep -qx 'nats_up 1' <<<"$metrics" && break
  sleep 0.2
done
grep -qx 'nats_up 1' <<<"$metrics" || die "no 'nats_up 1' in /metrics: $(grep '^nats_up' <<<"$metrics")"
varz=$(curl -sf "http://127.0.0.1:$monitor_port/varz")
server_id=$(sed -n 's/^ *"server_id": *"\([^"]*\)".*/\1/p' <<<"$varz" | head -n 1)
max_payload=$(sed -n 's/^ *"max_payload": *\([0-9]*\).*/\1/p' <<<"$varz" | head -n 1)
[[ -n $server_id && -n $max_payload ]] || die "could not read server_id and max_payload from /varz"
grep -q "^nats_server_info{.*server_id=\"$server_id\".*server_name=\"$server_name\"" <<<"$metrics" ||
  die "nats_server_info does not name server $server_id ($server_name): $(grep '^nats_server_info' <<<"$metrics")"
grep -qx "nats_server_max_payload_bytes $max_payload" <<<"$metrics" ||
  die "nats_server_max_payload_bytes is not /varz max_payload $max_payload: $(grep '^nats_server_max_payload' <<<"$metrics")"
phase "farrier in the container reports nats_up 1 for server $server_id (max_payload $max_payload)"

# Non-root, checked on the process itself, not only in the image's configuration.
pid=$(podman inspect --format '{{.State.Pid}}' "$container")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[[ $uid == 65532 ]] || die "farrier runs as UID $uid, not 65532"

# The HEALTHCHECK: podman runs it as the image defines it; then the same command against a port
# nobody listens on must fail, or the check could never tell.
podman healthcheck run "$container" >/dev/null || die "podman healthcheck run failed"
mapfile -t check < <(podman image inspect --format '{{range .Config.Healthcheck.Test}}{{println .}}{{end}}' "$image")
[[ ${check[0]} == CMD ]] || die "unexpected HEALTHCHECK form: ${check[*]}"
closed_port=$(free_port)
if container_exec "$container" env "FARRIER_WEB_LISTEN_ADDRESS=127.0.0.1:$closed_port" \
  "${check[@]:1}" >/dev/null 2>&1; then
  die "the HEALTHCHECK command passes against a closed port"
fi
phase "runs as UID 65532; HEALTHCHECK passes on farrier's port, fails on a closed one"
log "ok"
