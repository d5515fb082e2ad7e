# syntax=docker/dockerfile:1
#
# One build, three roles. Each final stage is the same runtime image with its own command and health check:
#   docker build --target worker .      node lib/worker.js (the default target)
#   docker build --target webhook .     node lib/webhook/main.js, HEALTHCHECK on /readyz (internal port 9464)
#   docker build --target simulator .   node lib/simulator/main.js, HEALTHCHECK on /health
# Any of them runs another role when given its command, e.g. `docker run IMAGE node lib/simulator/main.js`.
# docker-compose.yml builds all three; see deploy/README.md.

# A current Node.js LTS release, pinned (package.json allows >= 20.19; CI also runs 20); the slim Debian variant
# because Temporal's native core bridge and swc ship glibc binaries. docker-compose.yml runs every role with a
# read-only root filesystem, a tmpfs /tmp and no capabilities.
ARG NODE_IMAGE=node:22.21.1-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# No install scripts: tsc needs none, and the native packages (Temporal core bridge, swc) come as prebuilt
# platform packages through optionalDependencies.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the `node` user the processes run as: the code cannot be altered at run time.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY deploy/healthcheck.mjs ./healthcheck.mjs
USER node

FROM runtime AS simulator
# Listen on every interface: inside a container, 127.0.0.1 is unreachable from other containers.
ENV SIM_HOST=0.0.0.0
EXPOSE 9100
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD node healthcheck.mjs "http://127.0.0.1:${SIM_PORT:-9100}/health"
CMD ["node", "lib/simulator/main.js"]

# Callbacks on 9001 (behind the TLS proxy); /healthz, /livez, /readyz and /metrics on 9464, a port the proxy does not
# forward. Ready means Temporal answers too, i.e. callbacks would be accepted.
FROM runtime AS webhook
ENV WEBHOOK_INTERNAL_PORT=9464
EXPOSE 9001 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD node healthcheck.mjs "http://127.0.0.1:${WEBHOOK_INTERNAL_PORT}/readyz"
CMD ["node", "lib/webhook/main.js"]

# Last, so that a plain `docker build .` gives the worker. It serves no HTTP, so there is nothing to probe: its
# health shows as pollers on the task queue (Web UI, or `temporal task-queue describe`).
FROM runtime AS worker
# The heap sizes and malloc settings of src/worker-heap.ts: V8 otherwise lets garbage grow towards 4 GB, glibc
# gives every native thread an arena of its own and keeps big freed blocks resident.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "lib/worker.js"]
