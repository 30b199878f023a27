# One image for both csptransfer programs: /worker (the Temporal worker) and /starter (the operator CLI and,
# with `serve`, the trigger service). docker-compose.yml picks the program per service with `command`.
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts below.

FROM golang:1.26.8-bookworm AS build

# Fail instead of silently downloading another Go toolchain when go.mod asks for a newer one: the builder
# tag above is the toolchain that ships.
ENV GOTOOLCHAIN=local

WORKDIR /src

# Dependencies first, in their own layer, so editing source does not download modules again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

# Static binaries (CGO_ENABLED=0) run on the distroless image, which has no C library.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -o /out/worker ./worker && \
    CGO_ENABLED=0 go build -trimpath -o /out/starter ./starter

# No shell, no package manager and a non-root user by default: the smallest surface for a process that
# holds Partner Center credentials.
FROM gcr.io/distroless/static-debian12:nonroot

LABEL org.opencontainers.image.title="csptransfer" \
      org.opencontainers.image.description="Moves Microsoft 365 and Dynamics 365 subscriptions into a partner's CSP channel"

COPY --from=build /out/worker /out/starter /

# The image's nonroot user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 65532:65532

# 8089 embedded Partner Center sandbox, 8090 trigger service, 9090 worker metrics and health.
EXPOSE 8089 8090 9090

# No ENTRYPOINT, so a compose `command` names the program to run; plain `docker run` starts the worker.
CMD ["/worker"]
