#!/usr/bin/env bash
# Run a command with TEST_DATABASE_URL pointing at a PostgreSQL server, for
# the tests' PostgreSQL variants and the PostgreSQL benchmark:
#
#   tools/with_postgres.sh node_modules/.bin/deno test -A registry/registry_test.ts
#
# - TEST_DATABASE_URL already set: run the command as it is.
# - Else, with PostgreSQL installed (initdb on PATH or in
#   /usr/lib/postgresql/*/bin): start a throwaway cluster in a temporary
#   directory, on 127.0.0.1 and a free port (as the `postgres` user when run
#   as root: initdb refuses root), run the command, then stop the cluster
#   and delete it, whatever the command did.
# - Else: say so and run the command (the PostgreSQL tests then fail,
#   saying how to get a server).
#
# The cluster is for tests only: trust authentication on loopback, and no
# fsync (a crash loses it, which is fine for a throwaway).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: tools/with_postgres.sh COMMAND [ARGS...]" >&2
  exit 2
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

bin=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  bin=$(dirname "$(command -v pg_ctl)")
else
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      bin=$d
      break
    fi
  done
fi
if [ -z "$bin" ]; then
  echo "with_postgres: PostgreSQL is not installed (apt-get install postgresql) and TEST_DATABASE_URL is not set: the PostgreSQL tests will fail" >&2
  exec "$@"
fi

# As root the cluster belongs to the postgres user, who must reach the
# directory: /tmp, whatever TMPDIR says.
tmp=${TMPDIR:-/tmp}
[ "$(id -u)" -eq 0 ] && tmp=/tmp
dir=$(mktemp -d "$tmp/snode-registry-pg.XXXXXX")
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with_postgres: running as root needs the postgres user (the postgresql package creates it)" >&2
    rm -rf "$dir"
    exit 1
  fi
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

started=""
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  port_free "$port" || continue
  if "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300" \
    start >/dev/null; then
    started=$port
    break
  fi
done
if [ -z "$started" ]; then
  echo "with_postgres: the throwaway PostgreSQL server did not start:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$started/postgres"
echo "with_postgres: a throwaway PostgreSQL ($("$bin/postgres" --version | sed -E 's/^[^0-9]*([0-9.]+).*/\1/')) at $TEST_DATABASE_URL" >&2
status=0
"$@" || status=$?
exit "$status"
