#!/bin/sh
# Runs one node client script against plexus serve. Installs the pinned npm clients into
# DEPS_DIR first (once). Exit 77 (skipped) only when node or npm is not installed; a failed
# install is a failure.
# Usage: run_node_test.sh DEPS_DIR SCRIPT PLEXUS_BINARY MODELS_DIR
set -eu
deps=$1
script=$2
plexus=$3
models=${PLEXUS_SHARED_DIR:+$PLEXUS_SHARED_DIR/models}
models=${models:-$4}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed (make setup installs npm)"
  exit 77
fi
# One installer at a time when ctest runs both scripts in parallel.
lock="$deps/.install.lock"
while ! mkdir "$lock" 2>/dev/null; do sleep 1; done
trap 'rmdir "$lock" 2>/dev/null || true' EXIT
if [ ! -d "$deps/node_modules/openai" ] || [ ! -d "$deps/node_modules/ollama" ]; then
  echo "installing the npm clients into $deps"
  (cd "$deps" && npm install --no-audit --no-fund --loglevel=error)
fi
rmdir "$lock"
trap - EXIT
cd "$deps"
exec node "$script" "$plexus" "$models"
