# syntax=docker/dockerfile:1.7
#
# SentinelStream images. One build stage compiles the six binaries with
# `deno compile` (scripts/compile.ts); the runtime stages are distroless and
# hold nothing but the binaries.
#
#   docker build -t sentinelstream .                    # every binary
#   docker build --target parser -t sentinel-parser .   # one stage's image
#   docker buildx build --platform linux/amd64,linux/arm64 --target sink .
#
# Cross builds need no emulation: the build stage runs on the build machine's
# platform and passes `--target <triple>` to deno compile.
#
# chDB: the embedded store is a native addon (npm @chdb/lib-linux-*-gnu, a
# ~550 MB shared library) that deno compile cannot embed in a single file.
# The images therefore do not carry it: in containers the sink and demo-seed
# write to the ClickHouse server (`--out http://user:pass@clickhouse:8123/db`),
# which is how compose/docker-compose.yml wires them. The runtime base is
# distroless/cc (glibc + libgcc), which the Deno runtime itself needs.

ARG NODE_VERSION=22
ARG DISTROLESS=gcr.io/distroless/cc-debian12:nonroot

FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm-slim AS build
ARG TARGETARCH
WORKDIR /src
# npm installs the npm packages the stages import and the pinned Deno
# (tools/deno), exactly as .ci/run and CI do.
COPY package.json package-lock.json ./
COPY tools/deno/package.json tools/deno/package-lock.json ./tools/deno/
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund \
 && cd tools/deno && npm install --no-audit --no-fund
COPY . .
# The detector's model directory, created here because the distroless
# runtime has no shell; see the detector target.
RUN mkdir -p /state/model
# deno compile downloads the runtime it embeds (denort) per target; the cache
# mount keeps it between builds.
RUN --mount=type=cache,target=/root/.cache/deno \
    case "$TARGETARCH" in \
      amd64) triple=x86_64-unknown-linux-gnu ;; \
      arm64) triple=aarch64-unknown-linux-gnu ;; \
      *) echo "unsupported TARGETARCH '$TARGETARCH' (amd64, arm64)" >&2; exit 1 ;; \
    esac \
 && ./tools/deno/node_modules/.bin/deno run -A scripts/compile.ts --target "$triple" --out-dir /out \
 && cd /out \
 && for f in sentinel-*-"$triple"; do mv "$f" "${f%-$triple}"; done \
 && sha256sum sentinel-* > SHA256SUMS

FROM ${DISTROLESS} AS runtime
LABEL org.opencontainers.image.title="SentinelStream" \
      org.opencontainers.image.description="Deno-native real-time security-event detection pipeline" \
      org.opencontainers.image.source="https://github.com/sentinelstream/sentinelstream" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/ /usr/local/bin/
WORKDIR /home/nonroot
# The detector's default --rules is ./sigma (relative to the working
# directory), so the project's rule pack sits beside it; mount a folder and
# pass --rules to add your own.
COPY --from=build /src/sigma ./sigma
USER nonroot
ENV SENTINEL_LOG_LEVEL=info

# One target per stage, so compose and `docker build --target X` get an image
# whose entrypoint is that stage; flags and SENTINEL_* variables configure it.
FROM runtime AS generator
ENTRYPOINT ["/usr/local/bin/sentinel-generator"]

FROM runtime AS ingest
EXPOSE 8080 5514/udp 5514/tcp
ENTRYPOINT ["/usr/local/bin/sentinel-ingest"]

FROM runtime AS parser
ENTRYPOINT ["/usr/local/bin/sentinel-parser"]

FROM runtime AS detector
# Owned by nonroot, so a named volume mounted here (compose: detector-model)
# starts with that owner and the detector can save its model into it.
COPY --from=build --chown=65532:65532 /state/ /home/nonroot/
ENTRYPOINT ["/usr/local/bin/sentinel-detector"]

FROM runtime AS sink
ENTRYPOINT ["/usr/local/bin/sentinel-sink"]

FROM runtime AS demo-seed
ENTRYPOINT ["/usr/local/bin/sentinel-demo-seed"]

# Default target: every binary, pick one with --entrypoint.
FROM runtime AS all
ENTRYPOINT ["/usr/local/bin/sentinel-parser"]
CMD ["--help"]
