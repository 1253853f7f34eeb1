#!/usr/bin/env bash
# The Debian package (cmake/Package.cmake, deploy/vm): builds it with cpack, reads its control
# fields and contents back, then installs it with apt in clean Debian 12 containers:
#
# 1. a minimal one without systemd (a chroot or an image build): apt resolves the Depends that
#    dpkg-shlibdeps computed from the mirror, postinst makes the user and enables the unit
#    without starting anything, the packaged binary loads the shipped configuration as the
#    service's user, and a purge leaves nothing behind;
# 2. one with systemd as PID 1, as on a virtual machine: postinst starts the hardened unit, whose
#    farrier (the shipped configuration, only the nats-server and listen address given as flags
#    in a drop-in) reports nats_up 1 and the identity of a real nats-server this script starts
#    on the host; the process runs as the package's user under the unit's sandbox; `systemctl
#    reload` reloads it in place; removal stops it and a purge leaves nothing behind.
#
#   run.sh SOURCE_DIR BUILD_DIR STATE_DIR PODMAN_DIR
#
# BUILD_DIR is the build tree to package; a sanitizer or fuzzing build is no package, so then a
# plain build of farrier alone is made (and kept) in STATE_DIR/plain. PODMAN_DIR is podman's
# storage, shared with tests/docker (scripts/lib.sh: podman_setup, podman_base_image; the same
# debootstrapped debian:bookworm). The image with systemd added is kept there too, as
# localhost/farrier-package-systemd:bookworm; remove it to make it again. Skips (exit 77) only
# outside CI when not root or without podman; with CI=true a missing prerequisite fails.
set -euo pipefail

source_dir=$(cd "$1" && pwd)
build_dir=$(cd "$2" && pwd)
state_dir=$3
podman_dir=$4
source "$source_dir/scripts/lib.sh"

podman_test_begin "package test" runc debootstrap nats-server curl cpack dpkg-deb dpkg-shlibdeps file flock

mkdir -p "$state_dir"
work=$(mktemp -d "$state_dir/run.XXXXXX")
container_prefix=farrier-package-test-
containers=()
nats_pid=
# podman_test_exit (scripts/lib.sh) calls this first, then stops nats-server and removes $work.
on_exit() {
  local rc=$1 c
  for c in "${containers[@]}"; do
    if ((rc != 0)) && podman container exists "$c" 2>/dev/null; then
      log "container $c: farrier's journal and apt's last words:"
      container_exec "$c" journalctl --no-pager -u farrier -n 30 2>/dev/null >&2 || true
      tail -n 20 "$work/$c.apt.log" >&2 2>/dev/null || true
    fi
    podman rm --force --time 2 "$c" >/dev/null 2>&1 || true
  done
}

# --- the package ---------------------------------------------------------------------------------

cached() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"; }
package_build=$build_dir
if [[ -n $(cached FARRIER_SANITIZE) || $(cached FARRIER_FUZZ) == ON ]]; then
  # g++ and RelWithDebInfo, as scripts/build.sh and the Dockerfile build farrier for users.
  package_build=$state_dir/plain
  log "$build_dir is a sanitizer build: packaging a plain build of farrier in $package_build"
  if ! env -u CC -u CXX cmake -S "$source_dir" -B "$package_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFARRIER_BUILD_TESTS=OFF >"$work/plain-build.log" 2>&1 ||
    ! nice cmake --build "$package_build" -j"$(nproc)" --target farrier >>"$work/plain-build.log" 2>&1; then
    tail -n 30 "$work/plain-build.log" >&2
    die "the plain build of farrier failed"
  fi
  phase "plain farrier built"
fi
[[ -x $package_build/exporter/farrier ]] ||
  die "$package_build/exporter/farrier is not built (cmake --build $package_build --target farrier)"

# cpack packages what is built (it does not build): the package's binary is the build tree's.
cpack --config "$package_build/CPackConfig.cmake" -B "$work/deb" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; die "cpack failed"; }
version=$(cached CMAKE_PROJECT_VERSION)
arch=$(dpkg --print-architecture)
deb_name=farrier_${version}-1_${arch}.deb
deb=$work/deb/$deb_name
[[ -f $deb ]] || die "cpack made no $deb_name: $(ls "$work/deb")"
phase "cpack: $deb_name, $(($(stat -c %s "$deb") / 1000)) kB"

# Control fields: the name, the project's version, dpkg's architecture, Depends computed by
# dpkg-shlibdeps from the binary's libraries, plus adduser for postinst and procps for the
# unit's ExecReload=/bin/kill.
field() { dpkg-deb --field "$deb" "$1"; }
[[ $(field Package) == farrier ]] || die "Package is \"$(field Package)\""
[[ $(field Version) == "$version-1" ]] || die "Version is \"$(field Version)\", not the project's $version-1"
[[ $(field Architecture) == "$arch" ]] || die "Architecture is \"$(field Architecture)\", dpkg says $arch"
depends=$(field Depends)
for dep in libnats3.4 libssl3 libprometheus-cpp-core1.0 libc6 adduser procps; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || die "Depends lacks $dep: $depends"
done
[[ -n $(field Maintainer) && -n $(field Description) ]] || die "no Maintainer or Description"
mkdir "$work/control"
dpkg-deb --control "$deb" "$work/control"
[[ $(cat "$work/control/conffiles") == /etc/farrier/farrier.json ]] ||
  die "conffiles is not /etc/farrier/farrier.json: $(cat "$work/control/conffiles")"
for script in postinst prerm postrm; do
  [[ -x $work/control/$script ]] || die "no executable $script in the package"
  cmp -s "$work/control/$script" "$source_dir/deploy/vm/$script" || die "$script differs from deploy/vm/$script"
done

# Contents: exactly the expected places, the files identical to their sources, the binary
# stripped (CPACK_STRIP_FILES) and the one of this build.
dpkg-deb --contents "$deb" >"$work/contents"
while read -r mode _ _ _ _ path _; do
  case ${path#.} in
    /usr/bin/farrier) [[ $mode == -rwxr-xr-x ]] || die "/usr/bin/farrier has mode $mode" ;;
    /etc/farrier/farrier.json | /lib/systemd/system/farrier.service)
      [[ $mode == -rw-r--r-- ]] || die "${path#.} has mode $mode" ;;
    /usr/share/doc/farrier/* | /usr/share/farrier/*) ;;
    / | /etc/ | /etc/farrier/ | /lib/ | /lib/systemd/ | /lib/systemd/system/ | /usr/ | /usr/bin/ | /usr/share/ | \
      /usr/share/doc/) [[ $mode == d* ]] || die "${path#.} is not a directory" ;;
    *) die "unexpected path in the package: $path" ;;
  esac
done <"$work/contents"
dpkg-deb --extract "$deb" "$work/root"
cmp -s "$work/root/lib/systemd/system/farrier.service" "$source_dir/deploy/vm/farrier.service" ||
  die "the packaged unit differs from deploy/vm/farrier.service"
cmp -s "$work/root/etc/farrier/farrier.json" "$source_dir/deploy/vm/farrier.json" ||
  die "the packaged configuration differs from deploy/vm/farrier.json"
cmp -s "$work/root/usr/share/doc/farrier/README.Debian" "$source_dir/deploy/vm/README.md" ||
  die "README.Debian differs from deploy/vm/README.md"
for f in README.md docs/configuration.md alerts/README.md dashboards/README.md; do
  [[ -f $work/root/usr/share/doc/farrier/$f ]] || die "no /usr/share/doc/farrier/$f (or its link)"
done
for f in "$source_dir"/alerts/*.yml "$source_dir"/dashboards/*.json; do
  rel=${f#"$source_dir"/}
  cmp -s "$f" "$work/root/usr/share/farrier/$rel" || die "/usr/share/farrier/$rel is missing or differs"
done
readelf --sections "$work/root/usr/bin/farrier" | grep -q '\.debug_info' && die "/usr/bin/farrier is not stripped"
[[ $("$work/root/usr/bin/farrier" --version) == "farrier $version" ]] ||
  die "the packaged farrier says \"$("$work/root/usr/bin/farrier" --version)\", not farrier $version"
phase "control fields and contents as expected; Depends: $depends"

# --- containers ----------------------------------------------------------------------------------

podman_setup "$podman_dir"
# A run killed by ctest's timeout could not clean up: remove its containers (this prefix only;
# the storage is shared with tests/docker).
podman ps --all --quiet --filter "name=$container_prefix" | xargs --no-run-if-empty podman rm --force >/dev/null
podman_base_image "$work"

# cexec CONTAINER CMD...: runs CMD in the container, apt without questions.
cexec() {
  local c=$1
  shift
  container_exec "$c" env DEBIAN_FRONTEND=noninteractive "$@"
}
# apt_install CONTAINER: installs the package from the mirror's Depends (apt's log in the work
# directory, shown on failure).
apt_install() {
  cexec "$1" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends /pkg/$deb_name" \
    >"$work/$1.apt.log" 2>&1 || die "apt-get install ./$deb_name failed in $1"
}
# leftovers CONTAINER: every file of the root file system named after farrier, besides the
# package's own mount.
leftovers() {
  cexec "$1" find / -xdev -path /pkg -prune -o -name '*farrier*' -print
}
# farrier_pids CONTAINER: the PIDs (in the container) of processes whose command is farrier.
farrier_pids() {
  cexec "$1" sh -c 'for s in /proc/[0-9]*/comm; do [ "$(cat "$s" 2>/dev/null)" = farrier ] &&
    basename "${s%/comm}"; done; true'
}

# --- 1. a minimal system without systemd ---------------------------------------------------------

plain=${container_prefix}$$-minimal
containers+=("$plain")
podman run --detach --name "$plain" "${podman_run_options[@]}" --volume "$work/deb:/pkg:ro" \
  debian:bookworm sleep infinity >/dev/null
apt_install "$plain"
[[ $(cexec "$plain" dpkg-query -W -f '${Status} ${Version}' farrier) == "install ok installed $version-1" ]] ||
  die "dpkg does not list farrier $version-1 as installed"
cexec "$plain" ldd /usr/bin/farrier | grep 'not found' && die "libraries of /usr/bin/farrier not found"
IFS=: read -r _ _ uid _ _ home shell < <(cexec "$plain" getent passwd farrier) || die "postinst made no user farrier"
((uid < 1000)) || die "farrier is not a system user (UID $uid)"
[[ $home == /nonexistent && $shell == /usr/sbin/nologin ]] || die "farrier's home/shell are $home $shell"
[[ $(cexec "$plain" stat -c '%a %U %G' /etc/farrier/secrets) == "750 root farrier" ]] ||
  die "/etc/farrier/secrets is not 0750 root:farrier: $(cexec "$plain" stat -c '%a %U %G' /etc/farrier/secrets)"
[[ $(cexec "$plain" readlink /etc/systemd/system/multi-user.target.wants/farrier.service) == /lib/systemd/system/farrier.service ]] ||
  die "postinst did not enable farrier.service (deb-systemd-helper)"
[[ -z $(farrier_pids "$plain") ]] || die "postinst started farrier without systemd"
# The shipped configuration, loaded as the service's user: --check-config where this farrier has
# it; otherwise a start that does not exit at once (an invalid file exits 2 immediately).
as_farrier=(setpriv --reuid farrier --regid farrier --init-groups --no-new-privs)
if cexec "$plain" /usr/bin/farrier --help | grep -q -- '--check-config'; then
  cexec "$plain" "${as_farrier[@]}" /usr/bin/farrier --config /etc/farrier/farrier.json --check-config >/dev/null ||
    die "farrier --check-config refuses the shipped /etc/farrier/farrier.json"
else
  probe_port=$(free_port)
  cexec "$plain" timeout 2 "${as_farrier[@]}" /usr/bin/farrier --config /etc/farrier/farrier.json \
    --web.listen-address "127.0.0.1:$probe_port" >"$work/minimal-start.log" 2>&1 &&
    die "farrier exited at once with the shipped configuration: $(cat "$work/minimal-start.log")"
  (($? == 124)) || die "farrier refused the shipped configuration: $(cat "$work/minimal-start.log")"
fi
cexec "$plain" apt-get purge -y -q farrier >>"$work/$plain.apt.log" 2>&1 || die "apt-get purge failed"
left=$(leftovers "$plain")
[[ -z $left ]] || die "the purge left files behind: $left"
phase "minimal system: Depends resolved, user, secrets directory and enablement without systemd, config accepted, purge clean"

# --- 2. a virtual machine: systemd as PID 1 ------------------------------------------------------

# Debian 12 with systemd added (what a VM has), made once and kept in the shared storage.
systemd_image=localhost/farrier-package-systemd:bookworm
exec {lock}>"$podman_dir/systemd-image.lock"
flock "$lock"
if podman image exists "$systemd_image"; then
  log "reusing $systemd_image"
else
  maker=${container_prefix}$$-systemd-image
  containers+=("$maker")
  podman run --detach --name "$maker" "${podman_run_options[@]}" debian:bookworm sleep infinity >/dev/null
  cexec "$maker" sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends systemd &&
    apt-get clean && rm -rf /var/lib/apt/lists/*' >"$work/$maker.apt.log" 2>&1 ||
    die "could not install systemd in debian:bookworm"
  podman commit --quiet "$maker" "$systemd_image" >/dev/null
  podman rm --force --time 2 "$maker" >/dev/null
  phase "made $systemd_image"
fi
exec {lock}>&-

nats_port=$(free_port)
monitor_port=$(free_port)
server_name=farrier-package-test-$$
nats-server -a 127.0.0.1 -p "$nats_port" -m "$monitor_port" -n "$server_name" \
  >"$work/nats-server.log" 2>&1 &
nats_pid=$!
wait_http "http://127.0.0.1:$monitor_port/healthz" 20 || die "nats-server did not start"

vm=${container_prefix}$$-vm
containers+=("$vm")
podman run --detach --name "$vm" "${podman_run_options[@]}" --systemd=always \
  --volume "$work/deb:/pkg:ro" "$systemd_image" /lib/systemd/systemd >/dev/null
# systemctl answers once systemd has its private socket; then --wait waits for the boot's end.
state=
for _ in $(seq 1 100); do
  state=$(cexec "$vm" timeout 60 systemctl is-system-running --wait 2>/dev/null) || true
  [[ -n $state ]] && break
  sleep 0.2
done
if [[ $state != running ]]; then
  log "units that failed: $(cexec "$vm" systemctl --failed --no-legend --plain 2>&1 | tr '\n' ' ')"
  [[ $state == degraded ]] || die "systemd in the container did not boot: ${state:-no answer from systemctl}"
fi

# The unit's own command with the test's nats-server and listen address (a free port of the host
# network) as flags, in a drop-in as an administrator would add one; in place before the install,
# so that postinst starts farrier with it.
web_port=$(free_port)
exec_start=$(sed -n 's/^ExecStart=//p' "$work/root/lib/systemd/system/farrier.service")
[[ -n $exec_start && $exec_start != *$'\n'* ]] || die "the unit has not exactly one ExecStart="
cexec "$vm" mkdir -p /etc/systemd/system/farrier.service.d
container_exec "$vm" sh -c 'cat >/etc/systemd/system/farrier.service.d/test.conf' <<CONF
[Service]
ExecStart=
ExecStart=$exec_start --nats.monitor-url http://127.0.0.1:$monitor_port --web.listen-address 127.0.0.1:$web_port
CONF
apt_install "$vm"
[[ $(cexec "$vm" systemctl is-enabled farrier) == enabled ]] || die "farrier.service is not enabled"
[[ $(cexec "$vm" systemctl is-active farrier) == active ]] || die "postinst did not start farrier.service"
phase "installed on systemd: farrier.service enabled and started by postinst"

# /metrics: the shipped configuration with the flags above reaches the real nats-server.
metrics=
for _ in $(seq 1 100); do
  metrics=$(curl -sf "http://127.0.0.1:$web_port/metrics") || true
  grep -qx 'nats_up 1' <<<"$metrics" && break
  sleep 0.2
done
grep -qx 'nats_up 1' <<<"$metrics" || die "no 'nats_up 1' in /metrics: $(grep '^nats_up' <<<"$metrics")"
varz=$(curl -sf "http://127.0.0.1:$monitor_port/varz")
server_id=$(sed -n 's/^ *"server_id": *"\([^"]*\)".*/\1/p' <<<"$varz" | head -n 1)
[[ -n $server_id ]] || die "could not read server_id from /varz"
grep -q "^nats_server_info{.*server_id=\"$server_id\".*server_name=\"$server_name\"" <<<"$metrics" ||
  die "nats_server_info does not name server $server_id ($server_name): $(grep '^nats_server_info' <<<"$metrics")"
cexec "$vm" journalctl --no-pager -u farrier | grep -q "listening on 127.0.0.1:$web_port" ||
  die "farrier's start is not in the journal (journalctl -u farrier)"
phase "farrier.service reports nats_up 1 for server $server_id; its log is in the journal"

# The sandbox, read from the running process: the package's user, no new privileges, a seccomp
# filter, no capabilities, a read-only root; and the unit's exposure score.
pid=$(cexec "$vm" systemctl show --property MainPID --value farrier)
status=$(cexec "$vm" cat "/proc/$pid/status")
farrier_uid=$(cexec "$vm" id -u farrier)
grep -Eq "^Uid:\s+$farrier_uid\s+$farrier_uid\s+$farrier_uid\s+$farrier_uid$" <<<"$status" ||
  die "farrier does not run as user farrier ($farrier_uid): $(grep '^Uid' <<<"$status")"
grep -Eq '^NoNewPrivs:\s+1$' <<<"$status" || die "NoNewPrivileges= is not in effect"
grep -Eq '^Seccomp:\s+2$' <<<"$status" || die "no seccomp filter (SystemCallFilter=) on farrier"
grep -Eq '^CapBnd:\s+0+$' <<<"$status" || die "farrier's capability bounding set is not empty"
[[ $(cexec "$vm" awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo") == ro,* ]] ||
  die "farrier's root file system is writable (ProtectSystem=strict)"
threshold=${FARRIER_EXPOSURE_THRESHOLD:?set by tests/package/CMakeLists.txt}
cexec "$vm" systemd-analyze security --no-pager --threshold="$threshold" farrier >"$work/security.txt" 2>&1 ||
  die "systemd-analyze security farrier is above $threshold: $(tail -n 1 "$work/security.txt")"
phase "sandbox in effect: UID $farrier_uid, NoNewPrivs, seccomp, no capabilities, read-only root; $(grep -o 'exposure level.*' "$work/security.txt")"

# systemctl reload: ExecReload's SIGHUP reloads in place (same PID, a newer successful load).
metric() { curl -sf "http://127.0.0.1:$web_port/metrics" | sed -n "s/^$1 //p"; }
loaded=$(metric nats_exporter_config_last_reload_success_timestamp_seconds)
[[ -n $loaded ]] || die "no nats_exporter_config_last_reload_success_timestamp_seconds in /metrics"
sleep 1.1 # the timestamp is in seconds
cexec "$vm" timeout 30 systemctl reload farrier || die "systemctl reload farrier failed"
reloaded=$loaded
for _ in $(seq 1 50); do
  reloaded=$(metric nats_exporter_config_last_reload_success_timestamp_seconds)
  [[ $reloaded != "$loaded" ]] && break
  sleep 0.2
done
[[ $reloaded != "$loaded" ]] || die "systemctl reload did not reload farrier's configuration"
[[ $(metric nats_exporter_config_last_reload_successful) == 1 ]] || die "the reload was refused"
[[ $(cexec "$vm" systemctl show --property MainPID --value farrier) == "$pid" ]] ||
  die "systemctl reload restarted farrier instead of reloading it"
cexec "$vm" journalctl --no-pager -u farrier | grep -q 'configuration reloaded from /etc/farrier/farrier.json' ||
  die "no \"configuration reloaded\" in farrier's journal"
phase "systemctl reload: configuration reloaded by SIGHUP, same process"

# Removal stops the service (prerm); the conffile stays until the purge, which leaves nothing.
cexec "$vm" apt-get remove -y -q farrier >>"$work/$vm.apt.log" 2>&1 || die "apt-get remove failed"
[[ -z $(farrier_pids "$vm") ]] || die "farrier still runs after apt-get remove: PIDs $(farrier_pids "$vm")"
! curl -s -o /dev/null "http://127.0.0.1:$web_port/metrics" || die "port $web_port still answers after removal"
cexec "$vm" test -f /etc/farrier/farrier.json || die "apt-get remove deleted the conffile"
cexec "$vm" rm -r /etc/systemd/system/farrier.service.d # the administrator's drop-in is not the package's
cexec "$vm" apt-get purge -y -q farrier >>"$work/$vm.apt.log" 2>&1 || die "apt-get purge failed"
left=$(leftovers "$vm")
[[ -z $left ]] || die "the purge left files behind: $left"
[[ -z $(farrier_pids "$vm") ]] || die "farrier runs after the purge"
[[ $(cexec "$vm" systemctl is-active farrier) != active ]] || die "farrier.service is active after the purge"
cexec "$vm" getent passwd farrier >/dev/null || die "the purge removed the user farrier (kept on purpose, see postrm)"
phase "apt-get remove stopped farrier.service; purge left no file and no process (the user farrier stays)"
log "ok"
