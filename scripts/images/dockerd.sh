#!/usr/bin/env bash
# Starts a Docker engine for the stand-in images and the deploy tests, unless one answers already.
# Its data root is kept outside the repository (built images survive between runs, as the
# toolchain's binaries do): ${OBS_DOCKER_ROOT:-$HOME/.cache/pulumi-observability/docker}.
# Needs root (dockerd) and Debian's docker.io: `sudo apt-get install docker.io`.
set -euo pipefail
if docker info >/dev/null 2>&1; then echo "dockerd: already running"; exit 0; fi
command -v dockerd >/dev/null || { echo "dockerd: not installed (sudo apt-get install docker.io)"; exit 1; }
root="${OBS_DOCKER_ROOT:-$HOME/.cache/pulumi-observability/docker}"
mkdir -p "$root"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
# No registry is reachable: nothing is pulled, every image is built here (npm run images).
$SUDO sh -c "nohup dockerd --host unix:///var/run/docker.sock --data-root '$root' >'$root.log' 2>&1 &"
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "dockerd: started (data root $root, log $root.log)"; exit 0; fi
  sleep 0.5
done
echo "dockerd: did not answer within 30 s; see $root.log"; tail -20 "$root.log"; exit 1
