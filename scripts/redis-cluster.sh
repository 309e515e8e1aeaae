#!/usr/bin/env bash
# A local Redis Cluster of three masters on loopback, for the cluster end-to-end run in CI
# and for trying the service on a cluster by hand. Nothing is kept on disk.
#
#   scripts/redis-cluster.sh start [first port]   # default 7101: masters on 7101, 7102, 7103
#   scripts/redis-cluster.sh stop  [first port]
#
# `start` prints the URL to give the service and the tests:
#   REDIS_URL=redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
set -euo pipefail
action=${1:-start}
first=${2:-7101}
ports=("$first" "$((first + 1))" "$((first + 2))")
dir=${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/neonops-redis-cluster-$first}

answers() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }

case "$action" in
  start)
    command -v redis-server >/dev/null || { echo "redis-cluster: redis-server is not installed" >&2; exit 1; }
    mkdir -p "$dir"
    for port in "${ports[@]}"; do
      if answers "$port"; then continue; fi
      mkdir -p "$dir/$port"
      redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir/$port" \
        --cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 5000 \
        --save "" --appendonly no --maxmemory-policy noeviction --logfile "$dir/$port/redis.log"
    done
    for port in "${ports[@]}"; do
      for _ in $(seq 1 50); do answers "$port" && break; sleep 0.1; done
      answers "$port" || { echo "redis-cluster: redis-server on $port did not start" >&2; exit 1; }
    done
    if ! redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok'; then
      redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
    fi
    for _ in $(seq 1 100); do
      ok=1
      for port in "${ports[@]}"; do redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' || ok=0; done
      [ "$ok" = 1 ] && break
      sleep 0.1
    done
    [ "$ok" = 1 ] || { echo "redis-cluster: the cluster did not reach cluster_state:ok" >&2; exit 1; }
    echo "redis+cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
    ;;
  stop)
    for port in "${ports[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop [first port]" >&2; exit 2 ;;
esac
