#!/usr/bin/env bash
# A throwaway Redis for the tests: `redis.sh start` prints its REDIS_URL.
set -euo pipefail
PORT=${REDIS_PORT:-63799}
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's redis-server package..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "Redis is not installed: sudo apt-get install redis-server" >&2
    exit 1
  fi
fi
case "${1:-start}" in
  start)
    if ! redis-cli -p "$PORT" ping >/dev/null 2>&1; then
      redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
        --logfile "/tmp/ccc-redis-$PORT.log" >/dev/null
      for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi
    echo "redis://127.0.0.1:$PORT/0"
    ;;
  stop) redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
