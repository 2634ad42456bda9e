#!/usr/bin/env bash
# Makes sure a Docker engine answers, installing Debian's docker.io and starting dockerd
# where none runs (a fresh CI machine has neither). Also installs the static busybox the
# tests build their images from, since no registry is reachable.
set -euo pipefail

log=${SHOAL_DOCKERD_LOG:-/var/log/shoal-dockerd.log}
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  echo "docker engine answers"
  exit 0
fi

echo "starting dockerd (log: $log)"
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker engine answers"
    exit 0
  fi
  sleep 1
done
echo "dockerd did not come up in 60 s; its log ends with:" >&2
tail -n 30 "$log" >&2
exit 1
