# syntax=docker/dockerfile:1
# One image for the API and the workers (docker-compose.yml chooses the command), on Node 24 LTS: the
# version CI tests (decision 084, scripts/node-runtime.sh); raise both together.
# Not built on the development machines (no Docker engine there); see docs/operations.md.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# 1. Every dependency, patched (patches/), and the Prisma client generated from the schema (npm ci's postinstall).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY patches/ patches/
COPY scripts/prisma-generate.js scripts/
COPY prisma/schema.prisma prisma/
RUN npm ci --no-audit --no-fund

# 2. Only what runs in production: development dependencies pruned, the generated client kept.
FROM deps AS production-deps
RUN npm prune --omit=dev --no-audit --no-fund

# 3. The runtime: production dependencies and the sources (tsx runs the TypeScript), as a non-root user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-deps /app/node_modules node_modules
COPY . .
COPY --from=deps /app/prisma/generated prisma/generated
# Workers load the workflow code built here rather than running webpack at start (~200 MB less RSS each).
RUN node --import tsx scripts/build-workflows.ts .build/workflows
ENV WORKFLOW_BUNDLE_DIR=/app/.build/workflows
# Files stay root-owned and read-only to the process; `node` (uid 1000) is the image's unprivileged user.
USER node
EXPOSE 3000 9464
# The API's /readyz; a worker's compose service checks its own port (scripts/healthcheck.js <url>).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 CMD ["node", "scripts/healthcheck.js"]
# node itself is PID 1's child (run with --init / init: true) and receives SIGTERM: no npm in between.
CMD ["node", "--import", "tsx", "api/main.ts"]
