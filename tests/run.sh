#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs lint, types and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  # The browser tests drive the real app in Debian's Chromium (Playwright's own browser download needs network).
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# .[otel], .[ray] and .[tune] too: their tests (an OTLP receiver, a local Ray instance, a LoRA training) must run
# in CI, not be skipped. torch==2.13.0 first: pinned alone, pip takes the CPU build on this machine's disk.
python3 -m pip install -q torch==2.13.0
python3 -m pip install -q -e '.[test,otel,ray,tune]'
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy workflow_core studio pages app.py
if [ "$#" -gt 0 ]; then
  exec python3 -m pytest -q "$@"
fi
# Two runs: Playwright's sync API keeps an event loop running in the main thread for the whole browser session,
# which the asyncio tests cannot share.
python3 -m pytest -q --ignore=tests/e2e
python3 -m pytest -q tests/e2e
