#!/usr/bin/env bash
# README command 1: install what is missing, build, and start the main job on the embedded
# default: the dashboard (`adcheck demo`) on the bundled sample forest (adcheck/demo/: five
# snapshots of the lab domain, scanned into a fresh history so trends and lifecycles show).
# It prints the URL and a one-time login for the local admin; Ctrl-C stops it.
# ADCHECK_DEMO_LISTEN=127.0.0.1:PORT picks another loopback port (default 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."

bash adcheck/install_deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)"

echo
echo "adcheck: starting the dashboard on the bundled sample forest (Ctrl-C stops it)"
exec ./build/dev/adcheck/app/adcheck demo --listen "${ADCHECK_DEMO_LISTEN:-127.0.0.1:8080}"
