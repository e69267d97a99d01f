package kube

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
)

// TestSoakScrapesThroughPodProxy: on kube, a soak sample is read through
// the API server's pod proxy (pods/<pod>:<port>/proxy/metrics). The
// metrics server is a real one on the test's own test host (see
// listenInTestHost), whose address the one staging pod reports as its IP;
// it serves kit's exposition from soak's fixtures, and the sample must
// count what a direct scrape of the same text on loopback counts.
func TestSoakScrapesThroughPodProxy(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	body, err := os.ReadFile(filepath.Join("..", "..", "soak", "testdata", "kit.txt"))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(l net.Listener) {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			w.Write(body)
		})}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	l := listenInTestHost(t)
	ip, port := l.Addr().(*net.TCPAddr).IP.String(), l.Addr().(*net.TCPAddr).Port
	serve(l)
	direct, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(direct)
	want := (&soak.Scraper{URL: "http://" + direct.Addr().String() + "/metrics"}).Scrape(ctx)
	if want.Err != "" || want.Requests == 0 {
		t.Fatalf("direct scrape of the fixture: %+v", want)
	}

	env, pod := deployAtTestHost(t, c, ip)

	p, err := project.Load(example(t))
	if err != nil {
		t.Fatal(err)
	}
	tg := NewTarget(p, nil, "")
	t.Setenv("KUBECONFIG", env.Kubeconfig)
	pe := &project.Environment{Name: "staging", Target: "kube", Namespace: env.Namespace}
	for _, tc := range []struct {
		name, port, errPart string
	}{
		{"the metrics port", fmt.Sprint(port), ""},
		{"a port nothing listens on", fmt.Sprint(port + 1), "answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, hc, err := tg.MetricsEndpoint(ctx, pe, tc.port)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(u, "/pods/"+pod.Name+":"+tc.port+"/proxy/metrics") {
				t.Errorf("metrics URL %s does not go through the pod proxy", u)
			}
			got := (&soak.Scraper{URL: u, Client: hc}).Scrape(ctx)
			if tc.errPart != "" {
				if !strings.Contains(got.Err, tc.errPart) {
					t.Errorf("scrape of %s: %+v, want an error with %q", tc.port, got, tc.errPart)
				}
				return
			}
			if got.Err != "" || got.Requests != want.Requests || got.Errors != want.Errors || len(got.Buckets) != len(want.Buckets) {
				t.Errorf("through the pod proxy: %+v, want %+v", got, want)
			}
		})
	}
}
