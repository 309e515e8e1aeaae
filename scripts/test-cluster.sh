#!/usr/bin/env bash
# `pnpm test:cluster`: the end-to-end suites on a local Redis Cluster of three masters
# (scripts/redis-cluster.sh), as CI runs them: the stack's suite (apps/stack: every intent
# kind, crash points, schedules, history, tracing, the production build) and the pull-request
# previews through the API and a worker (apps/api/test/previews.e2e.test.ts), and the API closed
# right after its start (its queues' handshake on a cluster: src/close-at-once.test.ts). A cluster this
# script started is stopped when it ends. REDIS_CLUSTER_PORT picks the first port (7101).
set -euo pipefail
cd "$(dirname "$0")/.."
first=${REDIS_CLUSTER_PORT:-7101}
url=$(scripts/redis-cluster.sh start "$first")
trap 'scripts/redis-cluster.sh stop "$first"' EXIT
echo "test:cluster: Redis Cluster at ${url#redis+cluster://}"
status=0
REDIS_URL=$url pnpm --filter @neonops/stack test || status=$?
(cd apps/api && REDIS_URL=$url npx vitest run test/previews.e2e.test.ts src/close-at-once.test.ts) || status=$?
exit "$status"
