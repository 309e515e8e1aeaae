# One image for every process of the service; docker-compose picks the command.
# Packages run from TypeScript source with tsx (there is no build step).
FROM node:20-bookworm-slim AS deps
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true TURBO_TELEMETRY_DISABLED=1
RUN npm install -g pnpm@10
WORKDIR /app
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
COPY packages/testing/package.json packages/testing/
COPY packages/webhooks/package.json packages/webhooks/
COPY bench/package.json bench/
RUN pnpm install --frozen-lockfile

FROM deps AS app
COPY . .
USER node
# Overridden per service in docker-compose.yml.
CMD ["pnpm", "--filter", "@neonops/api", "start"]
