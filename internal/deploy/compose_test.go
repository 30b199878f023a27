package deploy

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/notify"
	"github.com/csptransfer/csptransfer/internal/notify/smtptest"
)

// repoRoot is the repository root seen from this package's directory, where `go test` runs.
const repoRoot = "../.."

// composeFile is the part of the Compose Specification the stack uses. Fields are typed narrowly on
// purpose: a list-form environment, a string command or a short build form fails to decode, which keeps the
// file in the one shape these tests (and the YAML anchors) rely on.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Build       *composeBuild                `yaml:"build"`
	Entrypoint  []string                     `yaml:"entrypoint"`
	Command     []string                     `yaml:"command"`
	Environment map[string]string            `yaml:"environment"`
	Ports       []string                     `yaml:"ports"`
	Volumes     []string                     `yaml:"volumes"`
	DependsOn   map[string]composeDependency `yaml:"depends_on"`
	Healthcheck *composeHealthcheck          `yaml:"healthcheck"`
	Restart     string                       `yaml:"restart"`
	StopGrace   string                       `yaml:"stop_grace_period"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

type composeDependency struct {
	Condition string `yaml:"condition"`
}

type composeHealthcheck struct {
	Test    []string `yaml:"test"`
	Disable bool     `yaml:"disable"`
}

const (
	conditionHealthy   = "service_healthy"
	conditionCompleted = "service_completed_successfully"
)

// The services of the stack, by role.
const (
	svcPostgres        = "postgresql"
	svcAdminTools      = "temporal-admin-tools"
	svcTemporal        = "temporal"
	svcCreateNamespace = "temporal-create-namespace"
	svcUI              = "temporal-ui"
	svcWorker          = "worker"
	svcTrigger         = "trigger"
)

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	require.NoError(t, err)
	return string(b)
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var f composeFile
	require.NoError(t, yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &f))
	require.NotEmpty(t, f.Services)
	return f
}

func TestComposeFollowsComposeSpecification(t *testing.T) {
	var top map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &top))
	require.NotContains(t, top, "version", "the Compose Specification dropped the version key")
	for key := range top {
		if strings.HasPrefix(key, "x-") {
			continue
		}
		require.Contains(t, []string{"name", "services", "volumes", "networks", "configs", "secrets"}, key)
	}
}

func TestComposeServices(t *testing.T) {
	f := loadCompose(t)
	got := make([]string, 0, len(f.Services))
	for name := range f.Services {
		got = append(got, name)
	}
	require.ElementsMatch(t, []string{
		svcPostgres, svcAdminTools, svcTemporal, svcCreateNamespace, svcUI, svcWorker, svcTrigger,
	}, got)
}

// imageTag returns the tag of an image reference, "" when there is none. A registry port
// (host:5000/name) is not a tag.
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	if !ok {
		return ""
	}
	return tag
}

// versionTag matches an exact release: at least major.minor, optionally a patch and a variant suffix
// (16.11, 1.30.4, 1.26.8-bookworm). It rejects latest, a bare major (16) and anything interpolated.
var versionTag = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)*(-[0-9A-Za-z][0-9A-Za-z.-]*)?$`)

func TestImageTagHelpers(t *testing.T) {
	tests := []struct {
		ref    string
		tag    string
		pinned bool
	}{
		{ref: "postgres:16.11", tag: "16.11", pinned: true},
		{ref: "temporalio/server:1.30.4", tag: "1.30.4", pinned: true},
		{ref: "golang:1.26.8-bookworm", tag: "1.26.8-bookworm", pinned: true},
		{ref: "registry.local:5000/temporalio/ui:2.44.0", tag: "2.44.0", pinned: true},
		{ref: "postgres:16", tag: "16", pinned: false},
		{ref: "temporalio/ui:latest", tag: "latest", pinned: false},
		{ref: "temporalio/ui", tag: "", pinned: false},
		{ref: "registry.local:5000/temporalio/ui", tag: "", pinned: false},
		{ref: "temporalio/server:${TEMPORAL_VERSION}", tag: "${TEMPORAL_VERSION}", pinned: false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			require.Equal(t, tt.tag, imageTag(tt.ref))
			require.Equal(t, tt.pinned, versionTag.MatchString(imageTag(tt.ref)))
		})
	}
}

func TestComposeImagesArePinned(t *testing.T) {
	f := loadCompose(t)
	for name, svc := range f.Services {
		t.Run(name, func(t *testing.T) {
			if svc.Build != nil {
				require.Empty(t, svc.Image, "a built service gets its image from the Dockerfile")
				return
			}
			require.NotEmpty(t, svc.Image, "a service that is not built needs an image")
			require.NotContains(t, svc.Image, "auto-setup", "temporalio/auto-setup is deprecated and no longer built")
			require.NotContains(t, svc.Image, "latest")
			require.Regexp(t, versionTag, imageTag(svc.Image), "image %q is not pinned to an exact version", svc.Image)
		})
	}
}

func TestComposeTemporalImagesShareOneRelease(t *testing.T) {
	f := loadCompose(t)
	server := imageTag(f.Services[svcTemporal].Image)
	require.Contains(t, f.Services[svcTemporal].Image, "temporalio/server:")
	for _, name := range []string{svcAdminTools, svcCreateNamespace} {
		require.Contains(t, f.Services[name].Image, "temporalio/admin-tools:", name)
		// The admin tools carry the schema the server expects; a mismatch migrates to the wrong version.
		require.Equal(t, server, imageTag(f.Services[name].Image), name)
	}
	require.Regexp(t, `^1\.(29|30)\.\d+$`, server)
	require.Regexp(t, `^temporalio/ui:2\.\d+\.\d+$`, f.Services[svcUI].Image)
}

// publishedPort splits a short-syntax port ("[ip:][host:]container[/proto]"); the host IP may be an
// interpolated variable. ok is false when no fixed host port is published.
func publishedPort(spec string) (host, container int, ok bool) {
	spec, _, _ = strings.Cut(spec, "/")
	m := regexp.MustCompile(`^(?:(?:\$\{[^}]*\}|[0-9.]+|\[[0-9A-Fa-f:]+\]):)?(\d+):(\d+)$`).FindStringSubmatch(spec)
	if m == nil {
		return 0, 0, false
	}
	host, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, 0, false
	}
	container, err = strconv.Atoi(m[2])
	if err != nil {
		return 0, 0, false
	}
	return host, container, true
}

func TestPublishedPort(t *testing.T) {
	tests := []struct {
		spec            string
		host, container int
		ok              bool
	}{
		{spec: "7233:7233", host: 7233, container: 7233, ok: true},
		{spec: "127.0.0.1:8080:8080", host: 8080, container: 8080, ok: true},
		{spec: "${CSP_BIND_ADDRESS:-127.0.0.1}:8090:8090", host: 8090, container: 8090, ok: true},
		{spec: "[::1]:9090:9090/tcp", host: 9090, container: 9090, ok: true},
		{spec: "18080:8080", host: 18080, container: 8080, ok: true},
		{spec: "8080", ok: false},
		{spec: "${UI_PORT:-8080}:8080", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			host, container, ok := publishedPort(tt.spec)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.host, host)
			require.Equal(t, tt.container, container)
		})
	}
}

func TestComposePublishesPorts(t *testing.T) {
	f := loadCompose(t)
	tests := []struct {
		service string
		port    int
	}{
		{service: svcTemporal, port: 7233},
		{service: svcUI, port: 8080},
		{service: svcTrigger, port: 8090},
		{service: svcWorker, port: 8089},
		{service: svcWorker, port: 9090},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.service, tt.port), func(t *testing.T) {
			var found bool
			for _, spec := range f.Services[tt.service].Ports {
				host, container, ok := publishedPort(spec)
				if ok && host == tt.port && container == tt.port {
					found = true
				}
			}
			require.True(t, found, "%s does not publish %d:%d in %v", tt.service, tt.port, tt.port, f.Services[tt.service].Ports)
		})
	}
	t.Run("database stays internal", func(t *testing.T) {
		require.Empty(t, f.Services[svcPostgres].Ports)
	})
}

func TestComposeHealthchecks(t *testing.T) {
	f := loadCompose(t)
	tests := []struct {
		service string
		probe   string
	}{
		{service: svcPostgres, probe: "pg_isready"},
		{service: svcTemporal, probe: "7233"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			hc := f.Services[tt.service].Healthcheck
			require.NotNil(t, hc)
			require.False(t, hc.Disable)
			require.GreaterOrEqual(t, len(hc.Test), 2)
			require.Contains(t, []string{"CMD", "CMD-SHELL"}, hc.Test[0])
			require.Contains(t, strings.Join(hc.Test[1:], " "), tt.probe)
		})
	}
	// The distroless image has no shell or HTTP client to run a probe with, so these rely on a restart policy.
	for _, name := range []string{svcWorker, svcTrigger} {
		t.Run(name, func(t *testing.T) {
			require.Nil(t, f.Services[name].Healthcheck)
			require.Equal(t, "unless-stopped", f.Services[name].Restart)
		})
	}
}

func TestComposeStartOrder(t *testing.T) {
	f := loadCompose(t)
	type edge struct{ from, to, condition string }
	want := []edge{
		{from: svcAdminTools, to: svcPostgres, condition: conditionHealthy},
		{from: svcTemporal, to: svcAdminTools, condition: conditionCompleted},
		{from: svcCreateNamespace, to: svcTemporal, condition: conditionHealthy},
		{from: svcUI, to: svcTemporal, condition: conditionHealthy},
		{from: svcWorker, to: svcCreateNamespace, condition: conditionCompleted},
		{from: svcTrigger, to: svcCreateNamespace, condition: conditionCompleted},
	}
	var got []edge
	for name, svc := range f.Services {
		for dep, d := range svc.DependsOn {
			got = append(got, edge{from: name, to: dep, condition: d.Condition})
		}
	}
	require.ElementsMatch(t, want, got)

	for _, e := range got {
		t.Run(e.from+"->"+e.to, func(t *testing.T) {
			target, ok := f.Services[e.to]
			require.True(t, ok, "%s depends on unknown service %s", e.from, e.to)
			switch e.condition {
			case conditionHealthy:
				require.NotNil(t, target.Healthcheck, "%s waits for %s to be healthy, which has no healthcheck", e.from, e.to)
			case conditionCompleted:
				// A one-shot that restarts after success would never count as completed.
				require.True(t, target.Restart == "" || target.Restart == "no" || strings.HasPrefix(target.Restart, "on-failure"),
					"%s is waited on to complete but has restart %q", e.to, target.Restart)
			default:
				t.Fatalf("unexpected condition %q", e.condition)
			}
		})
	}

	order, err := startOrder(f.Services)
	require.NoError(t, err)
	require.Len(t, order, len(f.Services))
	require.Equal(t, svcPostgres, order[0])
}

// startOrder sorts the services so that each comes after everything it depends on; a cycle is an error
// because compose could never start the services on it.
func startOrder(services map[string]composeService) ([]string, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(services))
	var order []string
	var visit func(name string, trail []string) error
	visit = func(name string, trail []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("depends_on cycle: %s -> %s", strings.Join(trail, " -> "), name)
		}
		state[name] = visiting
		deps := make([]string, 0, len(services[name].DependsOn))
		for dep := range services[name].DependsOn {
			deps = append(deps, dep)
		}
		slices.Sort(deps)
		for _, dep := range deps {
			if err := visit(dep, append(trail, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	names := make([]string, 0, len(services))
	for name := range services {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := visit(name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func TestStartOrder(t *testing.T) {
	on := func(deps ...string) composeService {
		svc := composeService{DependsOn: map[string]composeDependency{}}
		for _, d := range deps {
			svc.DependsOn[d] = composeDependency{Condition: conditionHealthy}
		}
		return svc
	}
	tests := []struct {
		name     string
		services map[string]composeService
		want     []string
		cycle    bool
	}{
		{
			name:     "chain",
			services: map[string]composeService{"c": on("b"), "b": on("a"), "a": on()},
			want:     []string{"a", "b", "c"},
		},
		{
			name:     "diamond",
			services: map[string]composeService{"d": on("b", "c"), "b": on("a"), "c": on("a"), "a": on()},
			want:     []string{"a", "b", "c", "d"},
		},
		{
			name:     "cycle",
			services: map[string]composeService{"a": on("c"), "b": on("a"), "c": on("b")},
			cycle:    true,
		},
		{
			name:     "self",
			services: map[string]composeService{"a": on("a")},
			cycle:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := startOrder(tt.services)
			if tt.cycle {
				require.ErrorContains(t, err, "cycle")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// mount is one short-syntax volume entry.
type mount struct {
	source, target string
	readOnly       bool
}

func (m mount) bind() bool {
	return strings.HasPrefix(m.source, ".") || strings.HasPrefix(m.source, "/")
}

func parseMount(t *testing.T, spec string) mount {
	t.Helper()
	parts := strings.Split(spec, ":")
	require.Contains(t, []int{2, 3}, len(parts), "volume %q is not source:target[:mode]", spec)
	m := mount{source: parts[0], target: parts[1]}
	if len(parts) == 3 {
		m.readOnly = slices.Contains(strings.Split(parts[2], ","), "ro")
	}
	return m
}

func TestComposeMounts(t *testing.T) {
	f := loadCompose(t)
	used := map[string]bool{}
	for name, svc := range f.Services {
		for _, spec := range svc.Volumes {
			m := parseMount(t, spec)
			t.Run(name+"/"+m.target, func(t *testing.T) {
				if !m.bind() {
					require.Contains(t, f.Volumes, m.source, "named volume %s is not declared", m.source)
					used[m.source] = true
					return
				}
				require.True(t, strings.HasPrefix(m.source, "./"), "bind mount %s must be relative to the repository", m.source)
				_, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(m.source)))
				require.NoError(t, err, "mounted file is missing")
				// Scripts and configuration are inputs; a container must not be able to rewrite them on the host.
				require.True(t, m.readOnly, "bind mount %s should be read-only", m.source)
			})
		}
	}
	for volume := range f.Volumes {
		require.True(t, used[volume], "volume %s is declared but not used", volume)
	}
	require.Contains(t, f.Volumes, "postgresql-data")
}

func TestComposeOneShotsRunTheirScript(t *testing.T) {
	f := loadCompose(t)
	tests := []struct {
		service string
		script  string
	}{
		{service: svcAdminTools, script: "./deploy/temporal/setup-postgres.sh"},
		{service: svcCreateNamespace, script: "./deploy/temporal/create-namespace.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			svc := f.Services[tt.service]
			var target string
			for _, spec := range svc.Volumes {
				if m := parseMount(t, spec); m.source == tt.script {
					target = m.target
				}
			}
			require.NotEmpty(t, target, "%s does not mount %s", tt.service, tt.script)
			run := append(slices.Clone(svc.Entrypoint), svc.Command...)
			require.Contains(t, run, target, "%s does not run its mounted script", tt.service)
		})
	}
}

func TestComposeTemporalServer(t *testing.T) {
	f := loadCompose(t)
	env := f.Services[svcTemporal].Environment
	for key, want := range map[string]string{
		"DB":             "postgres12",
		"DB_PORT":        "5432",
		"POSTGRES_SEEDS": svcPostgres,
		"BIND_ON_IP":     "0.0.0.0",
	} {
		require.Equal(t, want, env[key], key)
	}
	require.NotEmpty(t, env["POSTGRES_USER"])
	require.NotEmpty(t, env["POSTGRES_PWD"])

	// The server resolves the path against its working directory, /etc/temporal.
	configPath := env["DYNAMIC_CONFIG_FILE_PATH"]
	require.NotEmpty(t, configPath)
	inContainer := path.Join("/etc/temporal", configPath)
	var onHost string
	for _, spec := range f.Services[svcTemporal].Volumes {
		m := parseMount(t, spec)
		if rel, ok := strings.CutPrefix(inContainer, m.target+"/"); ok && m.bind() {
			onHost = path.Join(m.source, rel)
		}
	}
	require.NotEmpty(t, onHost, "no mount provides %s", inContainer)

	var dynamic map[string][]struct {
		Value any `yaml:"value"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(readRepoFile(t, onHost)), &dynamic))
	require.Contains(t, dynamic, "limit.maxIDLength")
	require.Equal(t, 255, dynamic["limit.maxIDLength"][0].Value, "PostgreSQL workflow ID columns are VARCHAR(255)")
}

func TestComposeProgramServices(t *testing.T) {
	f := loadCompose(t)
	namespace := f.Services[svcCreateNamespace].Environment["TEMPORAL_NAMESPACE"]
	require.NotEmpty(t, namespace)
	tests := []struct {
		service string
		command []string
	}{
		{service: svcWorker, command: []string{"/worker"}},
		{service: svcTrigger, command: []string{"/starter", "serve"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			svc := f.Services[tt.service]
			require.NotNil(t, svc.Build)
			require.Equal(t, ".", svc.Build.Context)
			dockerfile := svc.Build.Dockerfile
			if dockerfile == "" {
				dockerfile = "Dockerfile"
			}
			require.Equal(t, "Dockerfile", dockerfile)
			_, err := os.Stat(filepath.Join(repoRoot, dockerfile))
			require.NoError(t, err)

			require.Empty(t, svc.Entrypoint, "the image has no entrypoint; command names the program")
			require.Equal(t, tt.command, svc.Command)
			require.Equal(t, "temporal:7233", svc.Environment["TEMPORAL_ADDRESS"])
			require.Equal(t, namespace, svc.Environment["TEMPORAL_NAMESPACE"], "must run in the namespace the setup creates")
			require.Equal(t, "json", svc.Environment["CSP_LOG_FORMAT"])
		})
	}
	t.Run("worker credentials pass through empty by default", func(t *testing.T) {
		env := f.Services[svcWorker].Environment
		for _, key := range []string{
			"PARTNER_CENTER_CLIENT_ID", "PARTNER_CENTER_CLIENT_SECRET", "PARTNER_CENTER_REFRESH_TOKEN", "PARTNER_CENTER_TENANT_IDS",
		} {
			require.Equal(t, "${"+key+":-}", env[key], key)
		}
		require.NotContains(t, f.Services[svcTrigger].Environment, "PARTNER_CENTER_CLIENT_SECRET", "only the worker calls Microsoft")
	})
	t.Run("listeners are reachable through published ports", func(t *testing.T) {
		listeners := []struct{ service, key string }{
			{service: svcWorker, key: "CSP_SANDBOX_ADDR"},
			{service: svcWorker, key: "CSP_METRICS_ADDR"},
			{service: svcTrigger, key: "CSP_TRIGGER_ADDR"},
		}
		for _, l := range listeners {
			host, port, ok := strings.Cut(f.Services[l.service].Environment[l.key], ":")
			require.True(t, ok, l.key)
			require.Contains(t, []string{"", "0.0.0.0"}, host, "%s must listen beyond the container's loopback", l.key)
			var published bool
			for _, spec := range f.Services[l.service].Ports {
				if _, container, ok := publishedPort(spec); ok && strconv.Itoa(container) == port {
					published = true
				}
			}
			require.True(t, published, "%s port %s is not published", l.key, port)
		}
	})
	t.Run("trigger reaches the worker's sandbox", func(t *testing.T) {
		_, port, ok := strings.Cut(f.Services[svcWorker].Environment["CSP_SANDBOX_ADDR"], ":")
		require.True(t, ok)
		require.Equal(t, "http://"+svcWorker+":"+port, f.Services[svcTrigger].Environment["CSP_SANDBOX_URL"])
	})
	t.Run("sandbox state outlives the container", func(t *testing.T) {
		state := f.Services[svcWorker].Environment["CSP_SANDBOX_STATE"]
		require.True(t, path.IsAbs(state))
		var onVolume bool
		for _, spec := range f.Services[svcWorker].Volumes {
			m := parseMount(t, spec)
			if !m.bind() && strings.HasPrefix(state, m.target+"/") {
				onVolume = true
			}
		}
		require.True(t, onVolume, "%s is not on a named volume", state)
	})
	t.Run("worker stop timeout fits in the grace period", func(t *testing.T) {
		stopTimeout, err := time.ParseDuration(f.Services[svcWorker].Environment["CSP_WORKER_STOP_TIMEOUT"])
		require.NoError(t, err)
		grace, err := time.ParseDuration(f.Services[svcWorker].StopGrace)
		require.NoError(t, err)
		require.Greater(t, grace, stopTimeout, "Docker would kill the worker before its activities finish")
	})
}

// composeVar is one ${NAME}, ${NAME-default} or ${NAME:-default} reference.
var composeVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)?([^}]*)\}`)

// interpolate resolves the references in value from the host environment the way compose does: ":-" uses
// the default when the variable is unset or empty, "-" only when it is unset.
func interpolate(value string, host map[string]string) string {
	return composeVar.ReplaceAllStringFunc(value, func(ref string) string {
		m := composeVar.FindStringSubmatch(ref)
		v, set := host[m[1]]
		if (m[2] == ":-" && v == "") || (m[2] == "-" && !set) {
			return m[3]
		}
		return v
	})
}

func TestInterpolate(t *testing.T) {
	tests := []struct {
		give string
		host map[string]string
		want string
	}{
		{give: "${A:-x}", want: "x"},
		{give: "${A:-x}", host: map[string]string{"A": ""}, want: "x"},
		{give: "${A-x}", host: map[string]string{"A": ""}, want: ""},
		{give: "${A-x}", want: "x"},
		{give: "${A:-x}", host: map[string]string{"A": "y"}, want: "y"},
		{give: "${A:-}", want: ""},
		{give: "${A:-127.0.0.1}:8090:${B:-8090}", host: map[string]string{"B": "9"}, want: "127.0.0.1:8090:9"},
		{give: "http://worker:8089", want: "http://worker:8089"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			require.Equal(t, tt.want, interpolate(tt.give, tt.host))
		})
	}
}

// containerEnv is the environment a service's program sees when compose runs with host as its
// environment (the shell and .env).
func containerEnv(svc composeService, host map[string]string) config.Map {
	env := config.Map{}
	for k, v := range svc.Environment {
		env[k] = interpolate(v, host)
	}
	return env
}

// The trigger service runs in production mode unless CSP_TRIGGER_MODE=sandbox is set, and then refuses to
// start without an onboarding token, naming the variable.
func TestComposeTriggerRunsInProductionByDefault(t *testing.T) {
	f := loadCompose(t)
	trigger := f.Services[svcTrigger]
	require.Equal(t, "${CSP_TRIGGER_MODE:-production}", trigger.Environment["CSP_TRIGGER_MODE"])
	require.Equal(t, "${CSP_ONBOARDING_TOKEN:-}", trigger.Environment["CSP_ONBOARDING_TOKEN"],
		"a compose-level required variable would also stop sandbox mode and every other service")
	const token = "compose-onboarding-token-0123456789"
	tests := []struct {
		name    string
		host    map[string]string
		sandbox bool
		wantErr string
	}{
		{name: "bare up refuses to start", host: nil, wantErr: "CSP_ONBOARDING_TOKEN: required outside sandbox mode"},
		{name: "empty token refuses to start", host: map[string]string{"CSP_ONBOARDING_TOKEN": ""}, wantErr: "CSP_ONBOARDING_TOKEN: required"},
		{name: "short token refuses to start", host: map[string]string{"CSP_ONBOARDING_TOKEN": "short"}, wantErr: "CSP_ONBOARDING_TOKEN: too short"},
		{name: "production with a token", host: map[string]string{"CSP_ONBOARDING_TOKEN": token}},
		{name: "sandbox chosen explicitly", host: map[string]string{"CSP_TRIGGER_MODE": "sandbox"}, sandbox: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.LoadTriggerFrom(containerEnv(trigger, tt.host))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.sandbox, cfg.Sandbox())
			if !tt.sandbox {
				require.Equal(t, []string{config.DefaultWebhookCertHost}, cfg.CertHosts, "webhooks are checked against Partner Center")
				require.True(t, cfg.SystemRoots)
			}
		})
	}
}

// The trigger service gets the worker's key ring, so what it starts is encrypted and what the worker
// stores can be read; outside sandbox mode its codec endpoint then needs a token.
func TestComposeCodecKeysReachBothPrograms(t *testing.T) {
	f := loadCompose(t)
	worker, trigger := f.Services[svcWorker], f.Services[svcTrigger]
	require.Equal(t, "${CSP_CODEC_KEYS:-}", worker.Environment["CSP_CODEC_KEYS"])
	require.Equal(t, worker.Environment["CSP_CODEC_KEYS"], trigger.Environment["CSP_CODEC_KEYS"], "one key ring for both programs")
	require.Equal(t, worker.Environment["CSP_CODEC_KEYS_FILE"], trigger.Environment["CSP_CODEC_KEYS_FILE"])
	require.Equal(t, "${CSP_CODEC_TOKEN:-}", trigger.Environment["CSP_CODEC_TOKEN"])
	require.Contains(t, trigger.Environment, "CSP_CODEC_HOSTS")
	require.NotContains(t, worker.Environment, "CSP_CODEC_TOKEN", "only the trigger service serves the codec endpoint")

	keys := "2026-01=" + strings.Repeat("A", 43) + "=,2026-07=" + strings.Repeat("B", 43) + "="
	host := map[string]string{
		"CSP_CODEC_KEYS": keys, "CSP_ONBOARDING_TOKEN": "compose-onboarding-token-0123456789",
	}
	w, err := config.LoadWorkerFrom(containerEnv(worker, host))
	require.NoError(t, err)
	require.NotNil(t, w.Codec)

	_, err = config.LoadTriggerFrom(containerEnv(trigger, host))
	require.ErrorContains(t, err, "CSP_CODEC_TOKEN: required outside sandbox mode when codec keys are set")

	host["CSP_CODEC_TOKEN"] = "compose-codec-token-0123456789"
	host["CSP_CODEC_HOSTS"] = "codec.partner.example"
	tr, err := config.LoadTriggerFrom(containerEnv(trigger, host))
	require.NoError(t, err)
	require.NotNil(t, tr.Codec)
	require.Equal(t, w.Codec.String(), tr.Codec.String(), "the same key ids, newest last")
	require.Equal(t, "2026-07", tr.Codec.Newest().ID)
	require.Equal(t, []string{"codec.partner.example"}, tr.CodecHosts)
	require.Equal(t, []string{"http://localhost:8080"}, tr.CodecOrigins, "the UI's origin, as published by compose")
}

// Mail TLS settings pass through to the worker, and rotated refresh tokens are kept on a volume.
func TestComposeWorkerMailAndRefreshTokenSettings(t *testing.T) {
	f := loadCompose(t)
	worker := f.Services[svcWorker]
	for _, key := range []string{"CSP_SMTP_TLS", "CSP_SMTP_CA_FILE"} {
		require.Equal(t, "${"+key+":-}", worker.Environment[key], key)
	}
	require.Regexp(t, `^\$\{CSP_PC_REFRESH_TOKEN_FILE:-/[^}]+\}$`, worker.Environment["CSP_PC_REFRESH_TOKEN_FILE"])
	require.NotContains(t, f.Services[svcTrigger].Environment, "CSP_PC_REFRESH_TOKEN_FILE", "only the worker calls Microsoft")

	t.Run("refresh tokens outlive the container", func(t *testing.T) {
		file := interpolate(worker.Environment["CSP_PC_REFRESH_TOKEN_FILE"], nil)
		require.True(t, path.IsAbs(file))
		var onVolume bool
		for _, spec := range worker.Volumes {
			m := parseMount(t, spec)
			if !m.bind() && strings.HasPrefix(file, m.target+"/") {
				onVolume = true
			}
		}
		require.True(t, onVolume, "%s is not on a named volume", file)
	})
	t.Run("defaults", func(t *testing.T) {
		w, err := config.LoadWorkerFrom(containerEnv(worker, nil))
		require.NoError(t, err)
		require.Equal(t, interpolate(worker.Environment["CSP_PC_REFRESH_TOKEN_FILE"], nil), w.PartnerCenter.RefreshTokenFile)
		require.Empty(t, w.SMTP.CAFile)
	})
	t.Run("values reach the worker", func(t *testing.T) {
		ca := smtptest.Start(t).CAFile
		w, err := config.LoadWorkerFrom(containerEnv(worker, map[string]string{
			"CSP_SMTP_ADDR": "relay.partner.example:2465", "CSP_SMTP_FROM": "transfers@partner.example",
			"CSP_SMTP_TLS": "implicit", "CSP_SMTP_CA_FILE": ca,
			"CSP_PC_REFRESH_TOKEN_FILE": "/home/nonroot/tokens/pc.json",
		}))
		require.NoError(t, err)
		require.Equal(t, notify.TLSImplicit, w.SMTP.TLS)
		require.Equal(t, ca, w.SMTP.CAFile)
		require.Equal(t, "/home/nonroot/tokens/pc.json", w.PartnerCenter.RefreshTokenFile)
	})
	t.Run("bad values are refused", func(t *testing.T) {
		_, err := config.LoadWorkerFrom(containerEnv(worker, map[string]string{"CSP_SMTP_TLS": "ssl"}))
		require.ErrorContains(t, err, `CSP_SMTP_TLS: "ssl" is not one of starttls, implicit, none`)
	})
}

// TestComposeSettingsAreRead catches a compose variable the programs would silently ignore, such as a
// renamed setting. The programs read their own settings in internal/config; TEMPORAL_* belong to the SDK.
func TestComposeSettingsAreRead(t *testing.T) {
	sources, err := filepath.Glob(filepath.Join(repoRoot, "internal", "config", "*.go"))
	require.NoError(t, err)
	read := map[string]bool{}
	for _, name := range sources {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`).FindAllStringSubmatch(string(b), -1) {
			read[m[1]] = true
		}
	}
	require.NotEmpty(t, read)
	f := loadCompose(t)
	for _, svc := range []string{svcWorker, svcTrigger} {
		for key := range f.Services[svc].Environment {
			if strings.HasPrefix(key, "TEMPORAL_") {
				continue
			}
			t.Run(svc+"/"+key, func(t *testing.T) {
				require.True(t, read[key], "internal/config does not read %s", key)
			})
		}
	}
}

func TestComposeKeepsSecretsOutOfTheFile(t *testing.T) {
	f := loadCompose(t)
	secret := regexp.MustCompile(`SECRET|TOKEN|PASSWORD|PWD|API_KEY`)
	for name, svc := range f.Services {
		for key, value := range svc.Environment {
			if !secret.MatchString(key) {
				continue
			}
			t.Run(name+"/"+key, func(t *testing.T) {
				require.Regexp(t, `^\$\{[A-Z_][A-Z0-9_]*(:?-[^}]*)?\}$`, value, "secrets come from the environment")
			})
		}
	}
}

func TestComposeVariablesHaveDefaults(t *testing.T) {
	// $$ is a literal dollar passed to the container, not a compose variable.
	text := strings.ReplaceAll(readRepoFile(t, "docker-compose.yml"), "$$", "")
	refs := regexp.MustCompile(`\$\{([^}]*)\}`).FindAllStringSubmatch(text, -1)
	require.NotEmpty(t, refs)
	for _, ref := range refs {
		t.Run(ref[1], func(t *testing.T) {
			require.Regexp(t, `^[A-Za-z_][A-Za-z0-9_]*:?-`, ref[1], "every variable needs a default so a bare `up` works")
		})
	}
	bare := regexp.MustCompile(`\$[A-Za-z_]`).FindAllString(text, -1)
	require.Empty(t, bare, "use ${VAR:-default}, not $VAR")
}

func TestComposeVariablesAreDocumented(t *testing.T) {
	text := strings.ReplaceAll(readRepoFile(t, "docker-compose.yml"), "$$", "")
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(text, -1) {
		used[m[1]] = true
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)=`).FindAllStringSubmatch(readRepoFile(t, "deploy/compose.env.example"), -1) {
		documented[m[1]] = true
	}
	require.Equal(t, used, documented, "deploy/compose.env.example must list exactly the variables docker-compose.yml reads")
}

func TestNamespaceScriptRegistersSearchAttributes(t *testing.T) {
	script := readRepoFile(t, "deploy/temporal/create-namespace.sh")
	require.Contains(t, script, "temporal operator namespace create")
	require.Contains(t, script, "temporal operator search-attribute create")

	type attribute struct{ name, kind string }
	var got []attribute
	for _, m := range regexp.MustCompile(`--name\s+([A-Za-z0-9_]+)\s+--type\s+([A-Za-z]+)`).FindAllStringSubmatch(script, -1) {
		got = append(got, attribute{name: m[1], kind: m[2]})
	}
	want := []attribute{
		{name: "CspCustomerTenantId", kind: "Keyword"},
		{name: "CspCustomerDomain", kind: "Keyword"},
		{name: "CspPartnerTenantId", kind: "Keyword"},
		{name: "CspStage", kind: "Keyword"},
		{name: "CspNextActionAt", kind: "Datetime"},
	}
	require.ElementsMatch(t, want, got)

	var written []attribute
	for _, sa := range csptransfer.SearchAttributes() {
		written = append(written, attribute{name: sa.Name, kind: sa.Type})
	}
	require.ElementsMatch(t, written, got, "the script must register exactly what the workflow writes")
}

func TestSchemaScriptPreparesBothDatabases(t *testing.T) {
	script := readRepoFile(t, "deploy/temporal/setup-postgres.sh")
	require.Contains(t, script, "--plugin postgres12")
	tests := []struct {
		database string
		schema   string
	}{
		{database: "temporal", schema: "temporal"},
		{database: "temporal_visibility", schema: "visibility"},
	}
	for _, tt := range tests {
		t.Run(tt.database, func(t *testing.T) {
			db := regexp.QuoteMeta(tt.database)
			for _, step := range []string{
				`--db ` + db + ` create\s*$`,
				`--db ` + db + ` setup-schema -v 0\.0\s*$`,
				`--db ` + db + ` update-schema -d \S*/` + tt.schema + `/versioned"?\s*$`,
			} {
				require.Regexp(t, regexp.MustCompile(`(?m)`+step), script)
			}
		})
	}
}

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	cmd  string
	args string
}

func parseDockerfile(t *testing.T, text string) [][]instruction {
	t.Helper()
	var stages [][]instruction
	var pending strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		full := pending.String()
		pending.Reset()
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		require.NotEmpty(t, stages, "instruction %s before the first FROM", in.cmd)
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	require.NoError(t, sc.Err())
	require.Empty(t, pending.String(), "dangling line continuation")
	return stages
}

// pinnedBaseImage reports whether a FROM image names an exact major.minor.patch release. Distroless publishes no version
// tags: its Debian release is part of the image name and the tag names a variant, so that is accepted.
func pinnedBaseImage(ref string) bool {
	tag := imageTag(ref)
	if tag == "" || strings.Contains(ref, "$") || strings.Contains(tag, "latest") {
		return false
	}
	if regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(tag) {
		return true
	}
	return regexp.MustCompile(`^gcr\.io/distroless/[a-z]+-debian\d+:(nonroot|debug-nonroot)$`).MatchString(ref)
}

func TestPinnedBaseImage(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{ref: "golang:1.26.8-bookworm", want: true},
		{ref: "gcr.io/distroless/static-debian12:nonroot", want: true},
		{ref: "golang:1.26-bookworm", want: false},
		{ref: "golang:bookworm", want: false},
		{ref: "golang", want: false},
		{ref: "gcr.io/distroless/static-debian12:latest", want: false},
		{ref: "gcr.io/distroless/static:nonroot", want: false},
		{ref: "golang:${GO_VERSION}-bookworm", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			require.Equal(t, tt.want, pinnedBaseImage(tt.ref))
		})
	}
}

// fromImage returns the image and stage name of a FROM instruction's arguments.
func fromImage(args string) (image, stage string) {
	fields := strings.Fields(args)
	fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--") })
	if len(fields) == 0 {
		return "", ""
	}
	if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
		return fields[0], fields[2]
	}
	return fields[0], ""
}

// goVersion parses "1.26" or "1.26.8" into comparable numbers.
func goVersion(t *testing.T, v string) []int {
	t.Helper()
	var out []int
	for _, part := range strings.Split(v, ".") {
		n, err := strconv.Atoi(part)
		require.NoError(t, err, "go version %q", v)
		out = append(out, n)
	}
	for len(out) < 3 {
		out = append(out, 0)
	}
	return out
}

func TestDockerfileBaseImagesArePinned(t *testing.T) {
	stages := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	require.GreaterOrEqual(t, len(stages), 2, "a build stage and a runtime stage")
	aliases := map[string]bool{}
	for _, stage := range stages {
		image, alias := fromImage(stage[0].args)
		t.Run(image, func(t *testing.T) {
			if aliases[image] {
				return
			}
			require.True(t, pinnedBaseImage(image), "base image %q is not pinned", image)
		})
		if alias != "" {
			aliases[alias] = true
		}
	}

	t.Run("builder is at least the module's Go", func(t *testing.T) {
		builder, _ := fromImage(stages[0][0].args)
		m := regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)-`).FindStringSubmatch(builder)
		require.NotNil(t, m, "builder %q is not an exact golang release", builder)
		gomod := readRepoFile(t, "go.mod")
		for _, directive := range []string{`go`, `toolchain go`} {
			found := regexp.MustCompile(`(?m)^` + directive + ` (\d+\.\d+(?:\.\d+)?)\s*$`).FindStringSubmatch(gomod)
			if found == nil {
				continue
			}
			require.GreaterOrEqual(t, slices.Compare(goVersion(t, m[1]), goVersion(t, found[1])), 0,
				"builder Go %s is older than go.mod's %s %s", m[1], directive, found[1])
		}
	})
}

func TestDockerfileBuildsBothPrograms(t *testing.T) {
	stages := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	var build string
	for _, in := range stages[0] {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	require.NotEmpty(t, build, "the first stage has no go build")
	for _, want := range []string{
		"--mount=type=cache,target=/go/pkg/mod",
		"--mount=type=cache,target=/root/.cache/go-build",
		"CGO_ENABLED=0",
		"-trimpath",
	} {
		require.Contains(t, build, want)
	}
	for _, program := range []string{"worker", "starter"} {
		t.Run(program, func(t *testing.T) {
			require.Regexp(t, `go build [^&]*-o /out/`+program+` \./`+program+`\b`, build)
			info, err := os.Stat(filepath.Join(repoRoot, program))
			require.NoError(t, err)
			require.True(t, info.IsDir())
		})
	}
}

func TestDockerfileRuntimeStage(t *testing.T) {
	stages := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	runtime := stages[len(stages)-1]
	var user, copied []string
	exposed := map[string]bool{}
	for _, in := range runtime {
		switch in.cmd {
		case "USER":
			user = append(user, in.args)
		case "COPY":
			if strings.Contains(in.args, "--from=") {
				copied = append(copied, strings.Fields(in.args)...)
			}
		case "EXPOSE":
			for _, port := range strings.Fields(in.args) {
				exposed[port] = true
			}
		case "ENTRYPOINT":
			t.Fatalf("ENTRYPOINT %s would turn compose's command into arguments of one program", in.args)
		}
	}
	require.NotEmpty(t, user, "the runtime stage must name its user")
	name, _, _ := strings.Cut(user[len(user)-1], ":")
	require.NotContains(t, []string{"root", "0"}, name)

	for _, port := range []string{"8089", "8090", "9090"} {
		require.True(t, exposed[port], "port %s is not exposed", port)
	}

	// Every program compose runs must be in the image.
	f := loadCompose(t)
	for _, svc := range []string{svcWorker, svcTrigger} {
		program := f.Services[svc].Command[0]
		t.Run(svc, func(t *testing.T) {
			require.Contains(t, copied, "/out/"+path.Base(program))
			require.Equal(t, "/", copied[len(copied)-1], "binaries are copied to the image root")
		})
	}
}

// ignored applies .dockerignore patterns the way Docker does for the cases used here: a pattern matches the
// path or any of its parent directories, "**/" matches at any depth, and later "!" patterns re-include.
func ignored(patterns []string, name string) bool {
	var candidates []string
	for dir := name; dir != "." && dir != "/"; dir = path.Dir(dir) {
		candidates = append(candidates, dir)
	}
	excluded := false
	for _, p := range patterns {
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		for _, c := range candidates {
			match, _ := path.Match(p, c)
			if rest, ok := strings.CutPrefix(p, "**/"); ok && !match {
				parts := strings.Split(c, "/")
				for i := range parts {
					if m, _ := path.Match(rest, strings.Join(parts[i:], "/")); m {
						match = true
					}
				}
			}
			if match {
				excluded = !negate
				break
			}
		}
	}
	return excluded
}

func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	tests := []struct {
		path    string
		ignored bool
	}{
		{path: "go.mod"},
		{path: "go.sum"},
		{path: "worker/main.go"},
		{path: "starter/main.go"},
		{path: "workflows/api.go"},
		{path: "activities/activities.go"},
		{path: "internal/partnercenter/client.go"},
		{path: ".git/HEAD", ignored: true},
		{path: ".data/temporal.db", ignored: true},
		{path: ".env", ignored: true},
		{path: "tools/go.mod", ignored: true},
		{path: "internal/sandbox/sandbox_test.go", ignored: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			require.Equal(t, tt.ignored, ignored(patterns, tt.path))
		})
	}
}
