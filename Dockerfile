# Sluice: one image for both roles, `sluice driver` and `sluice worker`.
#   docker build -t sluice:local .                      (base: node:20-bookworm-slim)
#   docker build --build-arg NODE_IMAGE=sluice/node-base:local -t sluice:local .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_INTEGRITY_KEYS=0 CI=true
# Optional extra CA certificates for a registry behind a TLS proxy: put them in
# .docker-build/extra-ca.crt (the end-to-end test does this when npm has a cafile).
COPY package.json .docker-build* /tmp/build-extra/
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsconfig.json ./
COPY packages/core/package.json packages/core/
COPY packages/driver/package.json packages/driver/
COPY packages/worker/package.json packages/worker/
COPY packages/cli/package.json packages/cli/
COPY packages/kafka/package.json packages/kafka/
COPY packages/s3/package.json packages/s3/
COPY packages/mqtt/package.json packages/mqtt/
COPY packages/postgres/package.json packages/postgres/
COPY packages/redis/package.json packages/redis/
COPY packages/test-servers/package.json packages/test-servers/
COPY packages/test-disk/package.json packages/test-disk/
COPY packages/flume/package.json packages/flume/
COPY packages/kinesis/package.json packages/kinesis/
RUN if [ -f /tmp/build-extra/extra-ca.crt ]; then export NODE_EXTRA_CA_CERTS=/tmp/build-extra/extra-ca.crt; fi; \
    corepack pnpm install --frozen-lockfile --reporter=append-only
COPY proto proto
COPY packages packages
COPY examples examples
COPY scripts/bundle-cli.mjs scripts/bundle-cli.mjs
# @sluice/core loads (and publishes) its own copy of proto/ (scripts/copy-proto.sh does the same).
RUN rm -rf packages/core/proto && mkdir -p packages/core/proto && cp -R proto/. packages/core/proto/ \
 && corepack pnpm exec tsc -b \
 && packages/cli/node_modules/.bin/esbuild examples/lib/serve-lines.ts --bundle --platform=node \
      --format=esm --target=node20 --outfile=examples/dist/serve-lines.mjs --log-level=warning \
 && packages/cli/node_modules/.bin/esbuild examples/lib/publish-lines.ts --bundle --platform=node \
      --format=cjs --target=node20 --outfile=examples/dist/publish-lines.cjs --log-level=warning \
 && rm -rf node_modules packages/*/node_modules \
 && corepack pnpm install --prod --frozen-lockfile --offline --reporter=append-only \
 && node scripts/bundle-cli.mjs \
 && node packages/cli/bin/sluice.js --help > /dev/null
# The command runs as one bundled file, its threads from dist/threads (scripts/bundle-cli.mjs,
# after the production install it checks); `--help` leaves V8's code cache of the bundle
# (dist/sluice.cjs.cache), which the image's user could not write. bin/sluice.js starts it
# through cli-entry's CommonJS build, dist/sluice-entry.cjs (made after tsc, so not older than
# dist/src: COPY keeps the files' times), as `sluice` does locally; without it, through the
# ES module cli-entry.js (scripts/e2e-docker.mjs checks which the image used).

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# Workers give memory back after an overload (see WORKER_MALLOC_ENV in packages/worker).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=1048576
RUN echo 'sluice:x:10001:10001::/home/sluice:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'sluice:x:10001:' >> /etc/group \
 && mkdir -p /home/sluice /checkpoints /state /data && chown 10001:10001 /home/sluice /checkpoints /state /data
COPY --from=build /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages/core/package.json packages/core/package.json
COPY --from=build /app/packages/core/proto packages/core/proto
COPY --from=build /app/packages/core/dist/src packages/core/dist/src
COPY --from=build /app/packages/core/node_modules packages/core/node_modules
COPY --from=build /app/packages/driver/package.json packages/driver/package.json
COPY --from=build /app/packages/driver/dist/src packages/driver/dist/src
COPY --from=build /app/packages/driver/web-assets packages/driver/web-assets
COPY --from=build /app/packages/driver/node_modules packages/driver/node_modules
COPY --from=build /app/packages/worker/package.json packages/worker/package.json
COPY --from=build /app/packages/worker/dist/src packages/worker/dist/src
COPY --from=build /app/packages/worker/node_modules packages/worker/node_modules
COPY --from=build /app/packages/cli/package.json packages/cli/package.json
COPY --from=build /app/packages/cli/bin packages/cli/bin
COPY --from=build /app/packages/cli/dist/src packages/cli/dist/src
COPY --from=build /app/packages/cli/dist/sluice.cjs /app/packages/cli/dist/sluice.cjs.map /app/packages/cli/dist/sluice.cjs.cache /app/packages/cli/dist/sluice-bundle.json /app/packages/cli/dist/sluice-entry.cjs packages/cli/dist/
COPY --from=build /app/packages/cli/dist/threads packages/cli/dist/threads
COPY --from=build /app/packages/cli/node_modules packages/cli/node_modules
COPY --from=build /app/packages/postgres/package.json packages/postgres/package.json
COPY --from=build /app/packages/postgres/dist/src packages/postgres/dist/src
COPY --from=build /app/packages/postgres/node_modules packages/postgres/node_modules
COPY --from=build /app/packages/redis/package.json packages/redis/package.json
COPY --from=build /app/packages/redis/dist/src packages/redis/dist/src
COPY --from=build /app/packages/redis/node_modules packages/redis/node_modules
COPY --from=build /app/packages/flume/package.json packages/flume/package.json
COPY --from=build /app/packages/flume/dist/src packages/flume/dist/src
COPY --from=build /app/packages/flume/node_modules packages/flume/node_modules
COPY --from=build /app/packages/kinesis/package.json packages/kinesis/package.json
COPY --from=build /app/packages/kinesis/dist/src packages/kinesis/dist/src
COPY --from=build /app/packages/kinesis/node_modules packages/kinesis/node_modules
COPY --from=build /app/examples examples
USER 10001:10001
ENV HOME=/home/sluice
EXPOSE 7077 4040
ENTRYPOINT ["node", "/app/packages/cli/bin/sluice.js"]
CMD ["--help"]
