#!/usr/bin/env bash
# The whole test suite: lint, every test on the embedded SQLite default, then the EDC tests again
# on PostgreSQL. NAKIP_REQUIRE_POSTGRES=1 / NAKIP_REQUIRE_BROWSER=1 (set by .ci/run) turn the
# PostgreSQL and browser tests from "skip with a reason" into "fail if the server or Chromium is
# missing".
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${NAKIP_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"

echo "== lint (ruff)"
$BIN/ruff check src tests bench
$BIN/ruff format --check src tests bench

echo "== tests on SQLite, two workers (PostgreSQL-only tests run in the last step)"
unset NAKIP_DATABASE_URL
$BIN/pytest -n "${NAKIP_TEST_WORKERS:-2}" -m "not postgres and not browser"

echo "== browser tests in Chromium (one live server, run serially)"
$BIN/pytest -m "browser and not postgres"

echo "== EDC tests on PostgreSQL ($PG_URL)"
if $BIN/python - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except psycopg.Error as exc:
    print(f"PostgreSQL not reachable: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
PY
then
  NAKIP_DATABASE_URL="$PG_URL" $BIN/pytest -n "${NAKIP_TEST_WORKERS:-2}" tests/edc -m "not browser"
elif [ "${NAKIP_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "FAIL: PostgreSQL is required here (NAKIP_REQUIRE_POSTGRES=1) but $PG_URL is not reachable" >&2
  exit 1
else
  echo "SKIPPED: PostgreSQL run (no server at $PG_URL; set NAKIP_TEST_POSTGRES_URL to point at one)"
fi
