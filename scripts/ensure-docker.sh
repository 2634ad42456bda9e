#!/usr/bin/env bash
# Makes sure a Docker engine answers, installing Debian's docker.io and starting dockerd
# where none runs (a fresh CI machine has neither). Also installs the static busybox the
# test images are built from, since no registry is reachable, and the real tools the
# tests check Shoal against (promtool, from Debian's prometheus; chromium for the dashboard).
set -euo pipefail

log=${SHOAL_DOCKERD_LOG:-/var/log/shoal-dockerd.log}

# A wedged engine can accept a connection and never answer.
answers() { timeout 5 docker info >/dev/null 2>&1; }

missing=()
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! answers && ! { command -v dockerd && command -v docker; } >/dev/null 2>&1; then
  missing+=(docker.io)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  # A fresh VM may still hold the dpkg lock for its first unattended upgrade.
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
fi

if answers; then
  echo "docker engine answers"
  exit 0
fi

# Where systemd runs, installing docker.io has already started the service: wait for that
# one, since a second dockerd would fail on the same pidfile and socket.
pidfile=/var/run/docker.pid
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pid=$(cat "$pidfile")
  echo "dockerd runs (pid $pid); waiting for it to answer"
else
  echo "starting dockerd (log: $log)"
  # Its own session, so that the end of this script or of the CI step's process group
  # does not take the engine with it.
  setsid dockerd >"$log" 2>&1 </dev/null &
  pid=$!
fi
waited=$SECONDS
while ((SECONDS - waited < 60)); do
  if answers; then
    echo "docker engine answers after $((SECONDS - waited)) s"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "dockerd (pid $pid) did not answer within 60 s" >&2
else
  echo "dockerd (pid $pid) exited before it answered" >&2
fi
if [ -f "$log" ]; then tail -n 40 "$log" >&2; else journalctl -u docker -n 40 --no-pager >&2 || true; fi
exit 1
