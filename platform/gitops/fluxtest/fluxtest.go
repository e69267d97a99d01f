// Package fluxtest builds and runs Flux's source-controller and
// kustomize-controller for tests, against a test API server
// (internal/testcluster): the GitOps engine the gitops target is tested
// with end to end. The controllers are built from their Go modules
// (hack/testcluster/flux) into a cache directory keyed by that module's
// go.mod and go.sum, like the control plane.
package fluxtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Version is the Flux controllers' release (both); it must match
// hack/testcluster/flux/go.mod.
const Version = "v1.9.6"

var controllers = map[string]string{
	"source-controller":    "github.com/fluxcd/source-controller",
	"kustomize-controller": "github.com/fluxcd/kustomize-controller",
}

// ErrNoBinaries means the controllers have not been built here yet.
var ErrNoBinaries = errors.New("flux controller binaries not built")

// Binaries says where the controllers of this checkout are built.
type Binaries struct {
	Dir string // the two binaries
	Src string // hack/testcluster/flux
}

// Locate finds hack/testcluster/flux from the working directory up and
// the cache directory: $FERRY_FLUX_BIN, else <user cache>/ferry/flux/
// <hash of the module's go.mod and go.sum>.
func Locate() (Binaries, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Binaries{}, err
	}
	var src string
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "hack", "testcluster", "flux", "go.mod")); err == nil {
			src = filepath.Join(d, "hack", "testcluster", "flux")
			break
		}
		if filepath.Dir(d) == d {
			return Binaries{}, fmt.Errorf("no hack/testcluster/flux/go.mod in %s or above it", wd)
		}
	}
	if d := os.Getenv("FERRY_FLUX_BIN"); d != "" {
		return Binaries{Dir: d, Src: src}, nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "flux %s\n", Version)
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return Binaries{}, err
		}
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return Binaries{}, err
	}
	return Binaries{Dir: filepath.Join(cache, "ferry", "flux", hex.EncodeToString(h.Sum(nil))[:16]), Src: src}, nil
}

// Path returns the path of controller name.
func (b Binaries) Path(name string) string { return filepath.Join(b.Dir, name) }

// Missing returns the controllers not built yet.
func (b Binaries) Missing() []string {
	var out []string
	for n := range controllers {
		if fi, err := os.Stat(b.Path(n)); err != nil || fi.Mode()&0o111 == 0 {
			out = append(out, n)
		}
	}
	return out
}

// Build builds the missing controllers (GOWORK=off: the tools module
// keeps upstream's pins) into a temporary directory renamed into place,
// so concurrent builds never expose half-written binaries.
func (b Binaries) Build(ctx context.Context, log io.Writer) error {
	if len(b.Missing()) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(b.Dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(b.Dir), filepath.Base(b.Dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	args := []string{"build", "-ldflags", "-s -w", "-o", tmp + string(filepath.Separator)}
	for _, pkg := range controllers {
		args = append(args, pkg)
	}
	fmt.Fprintf(log, "fluxtest: building source-controller and kustomize-controller %s…\n", Version)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.Src
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build flux controllers: %w\n%s", err, out.String())
	}
	fmt.Fprintf(log, "fluxtest: built in %s\n", time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, b.Dir); err != nil && len(b.Missing()) > 0 {
		return fmt.Errorf("build flux controllers: %w", err)
	}
	return nil
}

// Controller is one running controller.
type Controller struct {
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Flux is the two controllers running against one API server.
type Flux struct {
	Source, Kustomize *Controller
	bins              Binaries
	dir, kubeconfig   string
	storage           string
}

// Start runs source-controller and kustomize-controller against the
// cluster of kubeconfig, watching every namespace, with logs and the
// artifact storage in dir. Without the binaries it returns
// ErrNoBinaries.
func Start(kubeconfig, dir string) (*Flux, error) {
	bins, err := Locate()
	if err != nil {
		return nil, err
	}
	if m := bins.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("%w: %s missing in %s; build them with `go run ./hack/testcluster/fluxbuild`", ErrNoBinaries, strings.Join(m, ", "), bins.Dir)
	}
	f := &Flux{bins: bins, dir: dir, kubeconfig: kubeconfig, storage: filepath.Join(dir, "artifacts")}
	if err := os.MkdirAll(f.storage, 0o755); err != nil {
		return nil, err
	}
	if f.Source, err = f.startSource(); err != nil {
		return nil, err
	}
	if f.Kustomize, err = f.StartKustomize(); err != nil {
		f.Stop()
		return nil, err
	}
	return f, nil
}

func (f *Flux) startSource() (*Controller, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	storageAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	return f.start("source-controller",
		"--storage-path="+f.storage, "--storage-addr="+storageAddr, "--storage-adv-addr="+storageAddr,
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", ports[1]), fmt.Sprintf("--health-addr=127.0.0.1:%d", ports[2]),
		"--enable-leader-election=false", "--watch-all-namespaces=true", "--log-level=info", "--concurrent=2",
		"--events-addr=")
}

// StartKustomize starts kustomize-controller (again, after KillKustomize).
func (f *Flux) StartKustomize() (*Controller, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	c, err := f.start("kustomize-controller",
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", ports[0]), fmt.Sprintf("--health-addr=127.0.0.1:%d", ports[1]),
		"--enable-leader-election=false", "--watch-all-namespaces=true", "--log-level=info", "--concurrent=2",
		// A Kustomization whose source has no artifact yet (the first
		// push is still being fetched) retries after this, 30s by default.
		"--requeue-dependency=2s", "--events-addr=")
	if err == nil {
		f.Kustomize = c
	}
	return c, err
}

// KillKustomize kills kustomize-controller with SIGKILL, as a node
// failure would.
func (f *Flux) KillKustomize() {
	if c := f.Kustomize; c != nil {
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func (f *Flux) start(name string, args ...string) (*Controller, error) {
	logPath := filepath.Join(f.dir, name+".log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(f.bins.Path(name), args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Dir = f.dir
	// source-controller reads its own address from these to build
	// artifact URLs when --storage-adv-addr is unset; the kubeconfig
	// comes from KUBECONFIG as in any controller-runtime manager.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+f.kubeconfig, "RUNTIME_NAMESPACE=flux-system")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &Controller{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		lf.Close()
		close(c.done)
	}()
	return c, nil
}

// Stop stops both controllers: SIGTERM, then SIGKILL after 5s.
func (f *Flux) Stop() {
	for _, c := range []*Controller{f.Kustomize, f.Source} {
		if c == nil {
			continue
		}
		select {
		case <-c.done:
			continue
		default:
		}
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
}

// Tail returns the last n lines of controller c's log.
func (c *Controller) Tail(n int) string {
	b, _ := os.ReadFile(c.Log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
