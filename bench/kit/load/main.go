// Command load is bench/kit's measuring tool, so that nothing needs
// installing. Subcommands:
//
//	load http -url URL -c 32 -d 5s     closed-loop load: req/s, p50, p99
//	load http ... -rate 8000           the same paced to 8000 req/s in all
//	load start -bin BIN -dir DIR -n 5  time-to-healthy and idle RSS of a service
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load {http|start} [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "http":
		err = loadHTTP(os.Args[2:])
	case "start":
		err = start(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func loadHTTP(args []string) error {
	fs := flag.NewFlagSet("http", flag.ExitOnError)
	url := fs.String("url", "", "URL to GET")
	conc := fs.Int("c", 32, "concurrent connections")
	dur := fs.Duration("d", 5*time.Second, "duration")
	warm := fs.Duration("warmup", time.Second, "warm-up, not measured")
	rate := fs.Int("rate", 0, "requests per second in all (0: as fast as the server answers)")
	fs.Parse(args)

	tr := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}
	client := &http.Client{Transport: tr}
	run := func(d time.Duration, record bool) ([]time.Duration, int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		// A paced run hands out one token per request at the given rate,
		// so that servers are compared doing the same work.
		var tokens chan struct{}
		if *rate > 0 {
			tokens = make(chan struct{}, *conc)
			go pace(ctx, *rate, tokens)
		}
		var (
			mu   sync.Mutex
			all  []time.Duration
			errs int
			wg   sync.WaitGroup
		)
		for range *conc {
			wg.Go(func() {
				lat := make([]time.Duration, 0, 1<<16)
				bad := 0
				for ctx.Err() == nil {
					if tokens != nil {
						select {
						case <-tokens:
						case <-ctx.Done():
							continue
						}
					}
					t0 := time.Now()
					resp, err := client.Get(*url)
					if err != nil {
						if ctx.Err() == nil {
							bad++
						}
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						bad++
						continue
					}
					if record {
						lat = append(lat, time.Since(t0))
					}
				}
				mu.Lock()
				all = append(all, lat...)
				errs += bad
				mu.Unlock()
			})
		}
		wg.Wait()
		return all, errs, nil
	}
	run(*warm, false)
	lat, errs, _ := run(*dur, true)
	if len(lat) == 0 {
		return fmt.Errorf("no successful request to %s", *url)
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	fmt.Printf("requests=%d errors=%d rps=%.0f p50=%s p99=%s\n", len(lat), errs, float64(len(lat))/dur.Seconds(), q(0.50), q(0.99))
	return nil
}

// pace sends rate tokens a second until ctx ends, catching up after a
// late wake-up rather than drifting.
func pace(ctx context.Context, rate int, tokens chan<- struct{}) {
	start, sent := time.Now(), 0
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := int(time.Since(start).Seconds() * float64(rate))
		for ; sent < due; sent++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs the service n times from a fresh copy of dir/configs (SQLite,
// new database each time): time from exec to the first 200 on
// /.well-known/health, then RSS after idling.
func start(args []string) error {
	fs := flag.NewFlagSet("start", flag.ExitOnError)
	bin := fs.String("bin", "", "service binary")
	dir := fs.String("dir", ".", "directory holding configs/")
	n := fs.Int("n", 5, "starts")
	idle := fs.Duration("idle", 3*time.Second, "idle time before reading RSS")
	fs.Parse(args)

	var healthy []time.Duration
	var rss []string
	for range *n {
		work, err := os.MkdirTemp("", "ferry-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		if err := os.CopyFS(filepath.Join(work, "configs"), os.DirFS(filepath.Join(*dir, "configs"))); err != nil {
			return err
		}
		port := freePort()
		cmd := exec.Command(*bin)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), fmt.Sprintf("HTTP_PORT=%d", port), fmt.Sprintf("METRICS_PORT=%d", freePort()))
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		url := fmt.Sprintf("http://127.0.0.1:%d/.well-known/health", port)
		client := &http.Client{Timeout: time.Second}
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		var took time.Duration
		for time.Since(t0) < 10*time.Second {
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					took = time.Since(t0)
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		if took == 0 {
			cmd.Process.Kill()
			return fmt.Errorf("%s never became healthy", *bin)
		}
		healthy = append(healthy, took)
		time.Sleep(*idle)
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				rss = append(rss, strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")))
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	sorted := slices.Clone(healthy)
	slices.Sort(sorted)
	fmt.Printf("time_to_healthy runs=%v median=%s max=%s\n", healthy, sorted[len(sorted)/2], sorted[len(sorted)-1])
	fmt.Printf("idle_rss runs=%v\n", rss)
	return nil
}
