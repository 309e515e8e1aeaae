# syntax=docker/dockerfile:1
# One production image for every process of the service; docker-compose.yml picks the command:
#   node dist/api/main.js          the API (PORT, default 3000)
#   node dist/worker/main.js       a worker (its /metrics /healthz /readyz on WORKER_HTTP_PORT, default 9464)
#   node dist/neon-sim/cli.js      the Neon simulator (local trials)
#   node dist/api/create-team-token.js <team> --file /config/teams.yaml
#   node dist/stack/start.js       everything in one process (demo)
# Compiled JavaScript (`pnpm build`: esbuild bundles in apps/*/dist, packages/neon-sim/dist),
# production dependencies only (`pnpm deploy --prod`, hoisted), non-root, node behind tini.

FROM node:20-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
RUN npm install -g pnpm@10.34.9
WORKDIR /src
# Manifests first: the dependency layer is rebuilt only when they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/demo/package.json apps/demo/
COPY apps/stack/package.json apps/stack/
COPY apps/worker/package.json apps/worker/
COPY packages/cli/package.json packages/cli/
COPY packages/durable-store/package.json packages/durable-store/
COPY packages/intents/package.json packages/intents/
COPY packages/neon-client/package.json packages/neon-client/
COPY packages/neon-sim/package.json packages/neon-sim/
COPY packages/observability/package.json packages/observability/
COPY packages/redis/package.json packages/redis/
COPY packages/teams/package.json packages/teams/
COPY packages/testing/package.json packages/testing/
COPY packages/webhooks/package.json packages/webhooks/
COPY bench/package.json bench/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm build
# The stack depends on the API, the worker and the simulator: its production closure is every
# bundle's. Hoisted, so a bundle in /out/dist/<app>/ resolves any of them from /out/node_modules.
RUN pnpm --filter @neonops/stack deploy --prod --config.inject-workspace-packages=true --config.node-linker=hoisted /out \
 && mkdir -p /out/dist \
 && cp -r apps/api/dist /out/dist/api \
 && cp -r apps/worker/dist /out/dist/worker \
 && cp -r apps/stack/dist /out/dist/stack \
 && cp -r packages/neon-sim/dist /out/dist/neon-sim

FROM node:20-bookworm-slim AS app
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HEALTH_PORT=3000
WORKDIR /app
# Owned by root, read-only to the `node` user that runs the processes.
COPY --from=build /out/package.json ./package.json
COPY --from=build /out/node_modules ./node_modules
COPY --from=build /out/dist ./dist
USER node
EXPOSE 3000 9464
# tini is PID 1: it reaps zombies and forwards SIGTERM to node, whose close-with-grace drains.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/api/main.js"]
# /readyz: Redis reachable (never Neon). The API answers on PORT; a worker sets
# HEALTH_PORT to its WORKER_HTTP_PORT (docker-compose.yml does).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
