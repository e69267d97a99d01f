package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// kubeletCase renders one chart of testdata/kubelet and compares a
// container's environment with what the kubelet would give it.
type kubeletCase struct {
	chart, env string
	want       map[string]string // key → value; "<absent>" for a key that must not be set
	warn       string            // a warning that must be given
}

// renderFixture renders env of testdata/kubelet/chart.
func renderFixture(t *testing.T, chart, env string) *Result {
	t.Helper()
	p, err := project.Load(filepath.Join("testdata", "kubelet", chart))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(t.Context(), p, env)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func runKubelet(t *testing.T, tests []kubeletCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.env, func(t *testing.T) {
			res := renderFixture(t, tt.chart, tt.env)
			for k, want := range tt.want {
				e, ok := res.Config.Get(k)
				switch {
				case want == "<absent>" && ok:
					t.Errorf("%s is set (%q from %s), want it absent", k, e.Value, e.Source)
				case want != "<absent>" && (!ok || e.Display() != want):
					t.Errorf("%s = %q (set %v, from %s), want %q", k, e.Display(), ok, e.Source, want)
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", res.Warnings, tt.warn)
			}
		})
	}
}

func TestKubeletObjects(t *testing.T) {
	runKubelet(t, []kubeletCase{{
		chart: "objects", env: "prod",
		want: map[string]string{
			"MODE":   "second",      // the later of two objects-config, as an install keeps
			"LISTED": "from-a-list", // an item of a kind: List
			"SHARED": "<absent>",    // a ConfigMap in another namespace
		},
		warn: "an install keeps the last one",
	}})
}

const runtime = "(set at run time)"

func TestKubeletServiceLinks(t *testing.T) {
	runKubelet(t, []kubeletCase{{
		chart: "links", env: "prod",
		want: map[string]string{
			"REDIS_PORT":               runtime, // tcp://<ip>:6379 over configs/.env's 6379
			"REDIS_SERVICE_HOST":       runtime,
			"REDIS_SERVICE_PORT_REDIS": runtime,
			"REDIS_PORT_6379_TCP_ADDR": runtime,
			"DB_PORT":                  runtime,
			"REDIS_HOST":               "redis", // the container's own env wins over links
			"REDIS_URL":                runtime, // expands service links
			"DB_HEADLESS_SERVICE_HOST": "<absent>",
			"APP_NAME":                 "cache",
		},
	}})
	res := renderFixture(t, "links", "prod")
	for _, w := range res.Workloads {
		if w.Name != "cache-worker" {
			continue
		}
		if v, _ := w.Containers[0].Config.Value("REDIS_PORT"); v != "6379" {
			t.Errorf("with enableServiceLinks: false, REDIS_PORT = %q, want configs/.env's 6379", v)
		}
	}
	e, _ := res.Config.Get("REDIS_PORT")
	if len(e.Shadows) == 0 || e.Shadows[0].Source.String() != "configs/.env:3" {
		t.Errorf("REDIS_PORT's link shadows %+v, want configs/.env:3", e.Shadows)
	}
}

func TestKubeletReferences(t *testing.T) {
	runKubelet(t, []kubeletCase{{
		chart: "refs", env: "prod",
		want: map[string]string{
			"LISTEN":           runtime,             // $(POD_IP) is a fieldRef
			"DOTTED":           "dotted/hyphenated", // names envFrom brings with . and -
			"ESCAPED":          "$(MODE) is strict", // $$ escapes; MODE from envFrom
			"UNKNOWN":          "$(NOPE)-x",         // an unknown reference stays as written
			"FEATURE":          "(missing: the pod fails to start)",
			"OPTIONAL_FEATURE": "<absent>",
			"MODE":             "strict", // an optional missing key keeps the earlier definition
			"PASSWORD":         "(missing: the pod fails to start)",
		},
	}})
}

func TestKubeletInvalid(t *testing.T) {
	res := renderFixture(t, "invalid", "prod")
	var got []string
	for _, iv := range res.Invalid {
		got = append(got, (&InputError{File: iv.File, Line: iv.Line, Msg: iv.Msg}).Error())
	}
	for _, want := range []string{
		`release name "baseChart"`,
		"templates/all.yaml:6: data PORT is 8080, not a string",
		"templates/all.yaml:7: data RATIO is 0.5",
		"templates/all.yaml:14: data token is not base64: use stringData, or b64enc it (Secret/invalid-secret)",
		"templates/all.yaml:34: container invalid: env DEBUG value true is not a string",
		`annotation kubernetes.io/ingress.class "nginx" and ingressClassName "alb" differ: the API server refuses to create it; keep one (Ingress/invalid-web)`,
		"templates/all.yaml:39: container invalid: livenessProbe.httpGet has no field initialDelaySeconds (indent it one level up, beside httpGet); readinessProbe has no field failureTreshold (a probe has exec, httpGet, tcpSocket or grpc and its timings): the API server refuses it",
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("Invalid lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if s := strings.Join(got, "\n"); strings.Contains(s, "Ingress/invalid-api") {
		t.Errorf("an Ingress whose class annotation matches ingressClassName is reported invalid:\n%s", s)
	}
	if s := strings.Join(got, "\n"); strings.Contains(s, "data empty") || strings.Contains(s, "periodSeconds") || strings.Contains(s, "scheme") {
		t.Errorf("a null Secret value (an empty one) is reported invalid:\n%s", s)
	}
	if v, _ := res.Workloads[0].Containers[0].Config.Value("EMPTY"); v != "" {
		t.Errorf("EMPTY from a null Secret value = %q, want the empty value the API server stores", v)
	}
}

func TestProjectPaths(t *testing.T) {
	tests := []struct{ msg, want string }{
		{`error calling include: template: shop/templates/_helpers.tpl:5:3: executing "x" at <.Values.a>: nil`, `error calling include: deploy/helm/templates/_helpers.tpl:5:3: executing "x" at <.Values.a>: nil`},
		{`template: shop/charts/redis/templates/sts.yaml:2: bad`, `deploy/helm/charts/redis/templates/sts.yaml:2: bad`},
		{`other/templates/a.yaml is another chart's`, `other/templates/a.yaml is another chart's`},
	}
	for _, tt := range tests {
		if got := projectPaths(tt.msg, "deploy/helm", "shop"); got != tt.want {
			t.Errorf("projectPaths(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

// TestPrimaryContainer: Result.Config is the container running the
// service's own image, not a sidecar listed first, a subchart's Redis or
// a worker that sorts first.
func TestPrimaryContainer(t *testing.T) {
	tests := []struct{ repo, env, workload, container string }{
		{"gin-cloudsql-sidecar", "prod", "Deployment/inventory", "inventory"},
		{"umbrella-subchart", "prod", "Deployment/cart", "cart"},
		{"flask-celery-helm", "prod", "Deployment/invoicing", "invoicing"},
		{"django-cronjob-job", "prod", "Deployment/reports", "reports"},
		{"kratos-range-services", "qa", "Deployment/billing", "billing"}, // no service image: the first
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			p, err := project.Load(filepath.Join(corpus, tt.repo))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Render(t.Context(), p, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			w := res.PrimaryWorkload()
			if w == nil {
				t.Fatal("no primary workload")
			}
			var c *Container
			for i := range w.Containers {
				if w.Containers[i].Primary {
					c = &w.Containers[i]
				}
			}
			if got := w.Kind + "/" + w.Name; got != tt.workload || c == nil || c.Name != tt.container || c.Image != res.Image {
				t.Errorf("primary = %s container %+v, want %s container %s", got, c, tt.workload, tt.container)
			}
		})
	}
}
