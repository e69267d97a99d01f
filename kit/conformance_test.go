package kit

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/envfile"
)

// TestGoFrExamplesConformance loads each of GoFr's own example config files
// (envfile/testdata/gofr-examples) as a service's configs/.env through
// kit's validation and names every value kit refuses to start with, and
// why. envfile's conformance test checks the layering itself against
// GoFr's; this one checks what kit does with the result.
func TestGoFrExamplesConformance(t *testing.T) {
	// example → every value kit refuses: where, which key, and the words
	// of the error that give the reason. An example not listed must start.
	type rejection struct{ where, key, reason string }
	var (
		gofrExporter = "kit exports OTLP/gRPC only (otlp or jaeger), not gofr"   // GoFr's own span API
		zipkin       = "kit exports OTLP/gRPC only (otlp or jaeger), not zipkin" // deprecated in GoFr
		mysql        = "kit has no MySQL driver"
		pubsub       = "kit has no pub/sub client"
	)
	rejected := map[string][]rejection{
		"grpc-streaming-client":   {{".env:9", "TRACE_EXPORTER", gofrExporter}},
		"grpc-streaming-server":   {{".env:7", "TRACE_EXPORTER", gofrExporter}},
		"grpc-unary-client":       {{".env:9", "TRACE_EXPORTER", gofrExporter}},
		"grpc-unary-server":       {{".env:7", "TRACE_EXPORTER", gofrExporter}},
		"http-server":             {{".env:14", "TRACE_EXPORTER", gofrExporter}, {".env:12", "DB_DIALECT", mysql}},
		"using-add-rest-handlers": {{".env:11", "TRACE_EXPORTER", zipkin}, {".env:9", "DB_DIALECT", mysql}},
		"using-cron-jobs":         {{".env:3", "TRACE_EXPORTER", zipkin}},
		"using-graphql":           {{".env:6", "DB_DIALECT", mysql}},
		"using-migrations":        {{".env:14", "TRACE_EXPORTER", zipkin}, {".env:12", "DB_DIALECT", mysql}},
		"using-publisher":         {{".env:6", "PUBSUB_BACKEND", pubsub}},
		"using-subscriber":        {{".env:6", "PUBSUB_BACKEND", pubsub}},
	}

	root := filepath.Join("..", "envfile", "testdata", "gofr-examples")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen++
		name := e.Name()
		dir := filepath.Join(root, name)
		layers := []struct {
			name    string
			environ []string
		}{
			{"file only", nil},
			{"with overlay", []string{"APP_ENV=test"}},
			// A process variable wins over the file, as in GoFr.
			{"with process variable", []string{"APP_VERSION=9.9.9", "LOG_LEVEL=warn"}},
		}
		for _, l := range layers {
			t.Run(name+"/"+l.name, func(t *testing.T) {
				cfg, err := envfile.Load(os.DirFS(dir), ".", l.environ)
				if err != nil {
					t.Fatalf("envfile.Load(%s): %v", dir, err)
				}
				var got []string
				for _, err := range Validate(cfg) {
					got = append(got, err.Error())
				}
				want := []string{}
				for _, r := range rejected[name] {
					want = append(want, r.where+": "+r.key+"="+strconvQuote(cfg.Get(r.key))+" is not supported: "+r.reason)
				}
				gotPrefix := []string{}
				for i, g := range got {
					// Compare up to the reason given in the table.
					if i < len(want) {
						for _, w := range want {
							if strings.HasPrefix(g, w) {
								g = w
							}
						}
					}
					gotPrefix = append(gotPrefix, g)
				}
				if diff := cmp.Diff(sorted(want), sorted(gotPrefix)); diff != "" {
					t.Errorf("rejections of %s (-want +got):\n%s", name, diff)
				}
				if len(got) == 0 {
					s, err := ParseSettings(cfg)
					if err != nil {
						t.Fatalf("ParseSettings: %v", err)
					}
					if l.name == "with process variable" && (s.AppVersion != "9.9.9" || s.LogLevel.String() != "WARN") {
						t.Errorf("process variables lost: version %q level %v", s.AppVersion, s.LogLevel)
					}
				}
			})
		}
	}
	if seen != 18 {
		t.Errorf("found %d example directories, want the 18 of MANIFEST.tsv", seen)
	}
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
