#!/usr/bin/env bash
# The main job: `nakip demo` when the virtual trial exists; until then, validate and summarise the
# NAKIP-AML protocol, its designs, and apply the response rules to example assessments.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if $BIN/nakip demo --help >/dev/null 2>&1; then
  exec $BIN/nakip demo "$@"
fi
$BIN/nakip protocol validate
$BIN/nakip protocol show
