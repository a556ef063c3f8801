# grafsync as a container: a static binary on distroless, running as non-root,
# no shell. Build:
#   docker build -t grafsync:v0.1.0 --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) .
# Multi-arch (Fargate runs X86_64 and ARM64):
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/grafsync:v0.1.0 --push .
# See docs/serve.md for the ECS task definitions.

FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -buildvcs=false"
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/grafsync ./cmd/grafsync

# static-debian12 has CA certificates, tzdata and /etc/passwd, and nothing
# else: no shell, no package manager. nonroot is uid/gid 65532, home
# /home/nonroot (where the Git cache goes: ~/.cache/grafsync/repos).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/grafsync /grafsync
USER 65532:65532
EXPOSE 8080
# ECS sends SIGTERM on StopTask; grafsync finishes the writes in flight and
# exits within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/grafsync"]
CMD ["serve"]
