// Package deploy keeps the self-hosting files at the repository root (Dockerfile, .dockerignore,
// docker-compose.yml and deploy/) honest. It holds no code: its tests parse those files and check the
// properties a running stack depends on, because no Docker engine runs where the tests do.
package deploy
