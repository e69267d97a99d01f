package testcluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KubeVersion is the Kubernetes release the control plane is built from;
// it must match hack/testcluster/k8s/go.mod. The binaries are stamped
// with it: without the stamp the API server reports v0.0.0-master and
// Helm refuses every chart with a kubeVersion constraint.
const KubeVersion = "v1.37.2"

// recipe changes the cache key when the way the binaries are built
// changes (flags, layout) while the module files stay the same.
const recipe = "1"

// tool is one binary and where it is built from.
type tool struct {
	name   string // binary name
	module string // directory under hack/testcluster
	pkg    string // Go package of its main
}

var tools = []tool{
	{"kube-apiserver", "k8s", "k8s.io/kubernetes/cmd/kube-apiserver"},
	{"kube-controller-manager", "k8s", "k8s.io/kubernetes/cmd/kube-controller-manager"},
	{"kube-scheduler", "k8s", "k8s.io/kubernetes/cmd/kube-scheduler"},
	{"etcd", "etcd", "go.etcd.io/etcd/server/v3"},
	{"kwok", "kwok", "sigs.k8s.io/kwok/cmd/kwok"},
}

// ErrNoBinaries means the control plane has not been built on this
// machine yet.
var ErrNoBinaries = errors.New("control plane binaries not built")

// Binaries says where the control-plane binaries of this checkout live.
type Binaries struct {
	// Dir holds the five binaries.
	Dir string
	// Src is hack/testcluster in this checkout.
	Src string
}

// Path returns the path of the named binary.
func (b Binaries) Path(name string) string { return filepath.Join(b.Dir, name) }

// Missing returns the binaries not yet built.
func (b Binaries) Missing() []string {
	var out []string
	for _, t := range tools {
		if fi, err := os.Stat(b.Path(t.name)); err != nil || fi.Mode()&0o111 == 0 {
			out = append(out, t.name)
		}
	}
	return out
}

// Locate finds hack/testcluster from the working directory up (tests run
// in their package's directory) and computes the cache directory:
// $FERRY_TESTCLUSTER_BIN when set, else <user cache>/ferry/testcluster/
// <hash of the tools modules' go.mod and go.sum>.
func Locate() (Binaries, error) {
	src, err := findSrc()
	if err != nil {
		return Binaries{}, err
	}
	if d := os.Getenv("FERRY_TESTCLUSTER_BIN"); d != "" {
		return Binaries{Dir: d, Src: src}, nil
	}
	key, err := cacheKey(src)
	if err != nil {
		return Binaries{}, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return Binaries{}, fmt.Errorf("locate the cache directory: %w", err)
	}
	return Binaries{Dir: filepath.Join(cache, "ferry", "testcluster", key), Src: src}, nil
}

func findSrc() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		src := filepath.Join(d, "hack", "testcluster")
		if _, err := os.Stat(filepath.Join(src, "k8s", "go.mod")); err == nil {
			return src, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no hack/testcluster/k8s/go.mod in %s or above it", dir)
		}
	}
}

// cacheKey hashes what decides the binaries' content: the tools modules'
// go.mod and go.sum, and the build recipe.
func cacheKey(src string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s %s\n", recipe, KubeVersion)
	for _, m := range []string{"k8s", "etcd", "kwok"} {
		for _, f := range []string{"go.mod", "go.sum"} {
			b, err := os.ReadFile(filepath.Join(src, m, f))
			if err != nil {
				return "", fmt.Errorf("cache key: %w", err)
			}
			fmt.Fprintf(h, "%s/%s %d\n", m, f, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ldflags stamps the Kubernetes version into both places components read
// it from, and strips symbols (565 MiB of binaries become about 400).
func ldflags(module string) string {
	flags := []string{"-s", "-w"}
	if module != "k8s" {
		return strings.Join(flags, " ")
	}
	minor := strings.Split(KubeVersion, ".")[1]
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		flags = append(flags,
			"-X", p+".gitVersion="+KubeVersion,
			"-X", p+".gitMajor=1",
			"-X", p+".gitMinor="+minor,
			"-X", p+".gitTreeState=clean",
			"-X", p+".buildDate=1970-01-01T00:00:00Z")
	}
	return strings.Join(flags, " ")
}

// Build builds the binaries that are missing. It builds into a temporary
// directory beside Dir and renames it into place, so test packages
// building at the same time never see half-written binaries; whoever
// renames first wins and the others discard their copy. Progress (one
// line per module, with its time) goes to log.
func (b Binaries) Build(ctx context.Context, log io.Writer) error {
	if len(b.Missing()) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(b.Dir), 0o755); err != nil {
		return fmt.Errorf("build control plane: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(b.Dir), filepath.Base(b.Dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("build control plane: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, m := range []string{"k8s", "etcd", "kwok"} {
		args := []string{"build", "-ldflags", ldflags(m), "-o", tmp + string(filepath.Separator)}
		var names []string
		for _, t := range tools {
			if t.module == m {
				args = append(args, t.pkg)
				names = append(names, t.name)
			}
		}
		// With one package, -o names the file: go build would name it
		// after the package path ("server" for etcd's server/v3).
		if len(names) == 1 {
			args[len(args)-2] = filepath.Join(tmp, names[0])
		}
		start := time.Now()
		fmt.Fprintf(log, "testcluster: building %s (module hack/testcluster/%s)…\n", strings.Join(names, ", "), m)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = filepath.Join(b.Src, m)
		// Each tools module keeps its own upstream-tested pins; ferry's
		// go.work must not pull it into the development workspace.
		cmd.Env = append(os.Environ(), "GOWORK=off")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: go %s: %w\n%s", m, strings.Join(args, " "), err, out.String())
		}
		fmt.Fprintf(log, "testcluster: built %s in %s\n", strings.Join(names, ", "), time.Since(start).Round(time.Second))
	}
	if err := os.Rename(tmp, b.Dir); err != nil {
		if len(b.Missing()) == 0 {
			return nil // built by someone else meanwhile
		}
		if err := os.RemoveAll(b.Dir); err != nil {
			return fmt.Errorf("replace incomplete %s: %w", b.Dir, err)
		}
		if err := os.Rename(tmp, b.Dir); err != nil {
			return fmt.Errorf("build control plane: %w", err)
		}
	}
	return nil
}
