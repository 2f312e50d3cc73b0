# syntax=docker/dockerfile:1
# haetae image: `docker build -t haetae .`, then `docker run haetae run <role>` (receiver, worker,
# notifier, api, all). docker-compose.yml runs one container per role.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that a source change does not reinstall them. --ignore-scripts: the
# package's `prepare` script builds, and the sources are not copied yet.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Production dependencies only; --ignore-scripts again because `prepare` would try to build
# without TypeScript.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Rules are read at run time (worker.rulesPath defaults to ./rules).
COPY rules ./rules
USER node
# Syslog (receiver); /metrics, /healthz and /readyz.
EXPOSE 5514/udp 5514/tcp 9464/tcp
ENTRYPOINT ["node", "dist/cli/haetae.js"]
CMD ["run", "all"]
