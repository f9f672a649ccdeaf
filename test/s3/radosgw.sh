#!/usr/bin/env bash
# Throw-away S3 server for tests: a single-node Ceph cluster (1 mon, 1 memstore
# OSD, no mgr, no cephx) with radosgw (Ceph RGW 16.2, Debian 12) in front.
# Unlike s3rver, RGW checks SigV4 signatures, so presigned-URL tests get real 403s.
#
# Usage:
#   eval "$(test/s3/radosgw.sh start [DIR])"   # DIR defaults to a fresh mktemp -d
#   test/s3/radosgw.sh stop [DIR]              # DIR defaults to $CATALYST_RADOSGW_DIR
#
# start prints only `export VAR=...` lines on stdout (endpoint, keys, region, DIR);
# progress and errors go to stderr. Logs: DIR/log/*.log. Everything binds 127.0.0.1.
# Env: RADOSGW_START_TIMEOUT (seconds per start, default 90, install not counted).
set -euo pipefail

log() { printf "radosgw.sh [%3ss]: %s\n" "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- stop ----
stop_cluster() {
  local dir=$1 keep=${2:-0} name pid
  # Idempotent: a directory we already removed means already stopped.
  if [[ ! -d $dir ]]; then log "stop: $dir does not exist (already stopped?)"; return 0; fi
  # One at a time, clients before servers: a daemon hangs on exit while the one it
  # talks to is shutting down too (e.g. an OSD without its mon: ~5 s).
  for name in rgw osd.0 mon.a; do
    [[ -f $dir/run/$name.pid ]] || continue
    pid=$(<"$dir/run/$name.pid")
    rm -f "$dir/run/$name.pid"
    # Only signal the pid if it is still our daemon (pids get reused).
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/ceph.conf"; then continue; fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "$name ($pid) still up 5 s after SIGTERM, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # Remove the directory only if this script created it (mktemp); keep user-given ones.
  if ((!keep)) && [[ -f $dir/.created-by-radosgw-sh ]]; then rm -rf -- "$dir"; fi
  log "stopped ($dir)"
}

# True if any pid still runs (a zombie counts as gone).
alive() {
  local p
  for p; do
    [[ -r /proc/$p/stat ]] && [[ $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) != Z ]] && return 0
  done
  return 1
}

# ------------------------------------------------------------- install ----
ensure_packages() {
  local missing=0 b
  for b in ceph-mon ceph-osd ceph radosgw radosgw-admin monmaptool; do
    command -v "$b" >/dev/null || missing=1
  done
  ((missing)) || return 0
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "Ceph packages missing and not root (no sudo) to install them"
    sudo=(sudo -n)
  fi
  local pkgs=(radosgw ceph-mon ceph-osd) aptlog=$1/log/apt.log t0=$SECONDS
  log "installing Debian packages: ${pkgs[*]} (~270 MB, log: $aptlog)"
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq --no-install-recommends
             -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # Package lists may be empty or stale on a fresh machine: update and retry once.
  if ! "${apt[@]}" install "${pkgs[@]}" >>"$aptlog" 2>&1; then
    "${sudo[@]}" apt-get update -qq >>"$aptlog" 2>&1 || true
    "${apt[@]}" install "${pkgs[@]}" >>"$aptlog" 2>&1 || {
      tail -n 20 "$aptlog" >&2
      die "apt-get install ${pkgs[*]} failed (see $aptlog)"
    }
  fi
  log "packages installed in $((SECONDS - t0)) s"
}

# --------------------------------------------------------------- start ----
# A port in 20000-32767 (below the kernel's ephemeral range and the OSD's 6800-7300)
# that nothing answers on. Racy in theory, fine for a test box.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12768))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

# Start DAEMON-NAME in the foreground (-f) in the background, own session, pid file.
# stdin/stdout/stderr are detached so `$(radosgw.sh start)` does not wait on them.
spawn() {
  local name=$1; shift
  setsid "$@" </dev/null >"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}

# Wait until a command succeeds, failing with the daemon's log tail on timeout or death.
wait_for() {
  local what=$1 name=$2; shift 2
  local pid; pid=$(<"$DIR/run/$name.pid")
  until "$@" >/dev/null 2>&1; do
    if ! alive "$pid"; then
      tail -n 30 "$DIR/log/$name.log" "$DIR/log/$name.out" >&2 2>/dev/null || true
      die "$name exited while waiting for $what (logs above, in $DIR/log)"
    fi
    if ((SECONDS >= DEADLINE)); then
      tail -n 30 "$DIR/log/$name.log" "$DIR/log/$name.out" >&2 2>/dev/null || true
      die "timed out after ${TIMEOUT}s waiting for $what (logs above, in $DIR/log)"
    fi
    sleep 0.5
  done
}

ceph_cli() { ceph -c "$DIR/ceph.conf" --connect-timeout 10 "$@"; }
osd_up() { ceph_cli osd stat | grep -q ' 1 up'; }
# Anonymous GET / is a ListBuckets that RGW answers with 200 once it serves S3.
s3_up() (
  exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT" || exit 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local status; read -r -t 5 status <&3 || status=
  exec 3>&-
  [[ $status == 'HTTP/1.'?' 200'* ]]
)

start_cluster() {
  if [[ -n ${1:-} ]]; then
    DIR=$(mkdir -p -- "$1" && cd -- "$1" && pwd)
    [[ -e $DIR/ceph.conf ]] && die "$DIR already holds a cluster; stop it or use another directory"
  else
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/radosgw.XXXXXX")
    touch "$DIR/.created-by-radosgw-sh"
  fi
  mkdir -p "$DIR/log" "$DIR/run"
  ensure_packages "$DIR"

  TIMEOUT=${RADOSGW_START_TIMEOUT:-90}
  DEADLINE=$((SECONDS + TIMEOUT))
  local t0=$SECONDS
  # On any failure from here on, take down whatever was started.
  trap 'rc=$?; if ((rc)); then stop_cluster "$DIR" 1 >/dev/null 2>&1 || true; log "daemons stopped; logs kept in $DIR/log"; fi' EXIT

  MON_PORT=$(free_port)
  RGW_PORT=$(free_port)
  [[ -n $MON_PORT && -n $RGW_PORT ]] || die "could not pick free ports"
  while [[ $RGW_PORT == "$MON_PORT" ]]; do RGW_PORT=$(free_port); done
  local fsid; fsid=$(</proc/sys/kernel/random/uuid)
  export CEPH_CONF=$DIR/ceph.conf  # for every ceph/radosgw-admin call below

  cat >"$DIR/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
# No cephx: the cluster is private to this box and this run; S3 auth is separate.
auth cluster required = none
auth service required = none
auth client required = none
mon warn on insecure global id reclaim allowed = false
keyring = /dev/null
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon data = $DIR/\$name
osd data = $DIR/\$name
# One OSD: replicas of 1, one PG layout that fits it, no autoscaler (no mgr runs).
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# The mon would shut down if the disk holding DIR got below 5% free.
mon data avail warn = 2
mon data avail crit = 1
# Commit mon map changes every 0.1 s instead of 1 s: RGW creates 6 pools one by one
# at first start, two map changes each, which otherwise costs ~12 s.
paxos propose interval = 0.1
paxos min wait = 0.01
# In-memory object store: nothing to format, data vanishes on stop.
osd objectstore = memstore
memstore device bytes = 1073741824

[client.rgw]
# radosgw defaults to cephx + "secure" mon mode, which cannot work without cephx.
auth client required = none
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
# Default 512 threads is overkill for tests and costs RAM.
rgw thread pool size = 32
rgw enable usage log = false
EOF

  log "starting mon on 127.0.0.1:$MON_PORT ($DIR)"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon -c "$DIR/ceph.conf" -i a --mkfs --monmap "$DIR/monmap" >>"$DIR/log/mkfs.log" 2>&1 \
    || { tail -n 20 "$DIR/log/mkfs.log" >&2; die "ceph-mon --mkfs failed"; }
  spawn mon.a ceph-mon -f -c "$DIR/ceph.conf" -i a
  wait_for "the monitor" mon.a ceph_cli mon stat

  log "starting osd.0 (memstore)"
  local osd_uuid osd_id; osd_uuid=$(</proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cli osd new "$osd_uuid") || die "ceph osd new failed (see $DIR/log/mon.a.log)"
  [[ $osd_id == 0 ]] || die "expected osd id 0, got '$osd_id'"
  mkdir -p "$DIR/osd.0"
  ceph-osd -c "$DIR/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/mkfs.log" 2>&1 \
    || { tail -n 20 "$DIR/log/mkfs.log" >&2; die "ceph-osd --mkfs failed"; }
  spawn osd.0 ceph-osd -f -c "$DIR/ceph.conf" -i 0
  wait_for "osd.0 to be up" osd.0 osd_up

  # RGW creates its pools itself on first start.
  log "starting radosgw on 127.0.0.1:$RGW_PORT"
  spawn rgw radosgw -f -c "$DIR/ceph.conf" -n client.rgw --log-file "$DIR/log/rgw.log"
  wait_for "the S3 endpoint http://127.0.0.1:$RGW_PORT" rgw s3_up

  # Random keys per cluster; tests create their own buckets.
  local ak sk
  ak=$(LC_ALL=C tr -dc 'A-Z0-9' </dev/urandom | head -c 20) || true
  sk=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40) || true
  radosgw-admin -c "$DIR/ceph.conf" user create --uid=test --display-name=test \
    --access-key="$ak" --secret-key="$sk" >"$DIR/log/user.json" 2>>"$DIR/log/radosgw-admin.log" \
    || { tail -n 20 "$DIR/log/radosgw-admin.log" >&2; die "radosgw-admin user create failed"; }

  log "ready in $((SECONDS - t0)) s: http://127.0.0.1:$RGW_PORT (stop: $0 stop $DIR)"
  trap - EXIT
  printf 'export AWS_ENDPOINT_URL=http://127.0.0.1:%s\n' "$RGW_PORT"
  printf 'export AWS_ACCESS_KEY_ID=%s\n' "$ak"
  printf 'export AWS_SECRET_ACCESS_KEY=%s\n' "$sk"
  printf 'export AWS_REGION=us-east-1\n'
  printf 'export CATALYST_RADOSGW_DIR=%q\n' "$DIR"
}

case ${1:-start} in
  start) start_cluster "${2:-}" ;;
  stop)
    d=${2:-${CATALYST_RADOSGW_DIR:-}}
    [[ -n $d ]] || die "usage: $0 stop DIR (or set CATALYST_RADOSGW_DIR)"
    stop_cluster "$d"
    ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "usage: $0 start [DIR] | stop [DIR]" ;;
esac
