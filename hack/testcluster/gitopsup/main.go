// Command gitopsup is make demo-gitops's throwaway GitOps setup: the test
// control plane (internal/testcluster), Flux's source-controller and
// kustomize-controller (platform/gitops/fluxtest) against it, and an
// empty deploy repository served over HTTP on 127.0.0.1 (Flux's own
// gittestserver), with a GitRepository on its main branch and one
// Kustomization per environment, each applying clusters/<env>/<service>.
// It writes the kubeconfig and the repository's URL and path into -dir
// and runs until interrupted. Build the binaries first (go run
// ./hack/testcluster/build; go run ./hack/testcluster/fluxbuild).
//
//	go run ./hack/testcluster/gitopsup -dir /tmp/demo -env staging -env prod \
//	    -secret staging/orders-api-db/password=demo-staging
//
// `gitopsup edit` changes one key of a ConfigMap as `kubectl edit` does
// (field manager kubectl-edit): the demo's live edit that ferry drift
// then names.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform/gitops/fluxtest"
	"github.com/fluxcd/pkg/gittestserver"
	"github.com/go-git/go-git/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

var (
	gitGVR = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}
	ksGVR  = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "edit" {
		if err := edit(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "gitopsup edit:", err)
			os.Exit(1)
		}
		return
	}
	dir := flag.String("dir", "", "write kubeconfig, repo-url and repo-path here (required)")
	service := flag.String("service", "orders-api", "the service whose manifests each environment's Kustomization applies")
	var envs, secrets list
	flag.Var(&envs, "env", "an environment: its namespace and Kustomization (repeatable)")
	flag.Var(&secrets, "secret", "create Secret namespace/name/key=value (repeatable)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "gitopsup: -dir is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dir, *service, envs, secrets); err != nil {
		fmt.Fprintln(os.Stderr, "gitopsup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, service string, envs, secrets []string) error {
	start := time.Now()
	c, err := testcluster.Start(ctx, testcluster.Options{Name: "ferry-demo-gitops", Log: os.Stderr})
	if err != nil {
		return err
	}
	defer c.Stop()
	dc, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	files, _ := filepath.Glob("platform/gitops/testdata/crds/*.yaml")
	if len(files) == 0 {
		return errors.New("no Flux CRDs in platform/gitops/testdata/crds: run from the repository's root")
	}
	for _, f := range files {
		if err := fluxtest.ApplyCRDs(ctx, dc, f); err != nil {
			return err
		}
	}
	for _, ns := range append([]string{"flux-system"}, envs...) {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for _, s := range secrets {
		ref, kv, ok := strings.Cut(s, "=")
		parts := strings.Split(ref, "/")
		if !ok || len(parts) != 3 {
			return fmt.Errorf("-secret %q: want namespace/name/key=value", s)
		}
		if _, err := c.Client.CoreV1().Secrets(parts[0]).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: parts[1]}, StringData: map[string]string{parts[2]: kv},
		}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	flux, err := fluxtest.Start(c.Kubeconfig, filepath.Join(dir, "flux"))
	if err != nil {
		return err
	}
	defer flux.Stop()
	srv, err := gittestserver.NewTempGitServer()
	if err != nil {
		return err
	}
	defer os.RemoveAll(srv.Root())
	if err := srv.StartHTTP(); err != nil {
		return err
	}
	defer srv.StopHTTP()
	repoPath := filepath.Join(srv.Root(), "deploy.git")
	if _, err := git.PlainInit(repoPath, true); err != nil {
		return err
	}
	url := srv.HTTPAddress() + "/deploy.git"
	if err := create(ctx, dc, gitGVR, "GitRepository", "deploy", map[string]any{
		"url": url, "interval": "2s", "timeout": "20s", "ref": map[string]any{"branch": "main"},
	}); err != nil {
		return err
	}
	for _, env := range envs {
		// Applied when the source's revision changes; the long interval
		// leaves a live edit in place for ferry drift to find (Flux would
		// otherwise put it back at its next interval).
		if err := create(ctx, dc, ksGVR, "Kustomization", service+"-"+env, map[string]any{
			"interval": "1h", "retryInterval": "2s", "timeout": "2m", "prune": true, "wait": true,
			"path": "./clusters/" + env + "/" + service, "sourceRef": map[string]any{"kind": "GitRepository", "name": "deploy"},
		}); err != nil {
			return err
		}
	}
	for name, v := range map[string]string{"repo-url": url, "repo-path": repoPath} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			return err
		}
	}
	// The kubeconfig last, renamed into place: whoever waits for it finds
	// everything ready.
	data, err := os.ReadFile(c.Kubeconfig)
	if err != nil {
		return err
	}
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc+".tmp", data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(kc+".tmp", kc); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gitopsup: control plane, source-controller, kustomize-controller and %s ready in %s\n", url, time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	return nil
}

func create(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, kind, name string, spec map[string]any) error {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvr.Group + "/" + gvr.Version, "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "flux-system"}, "spec": spec,
	}}
	_, err := dc.Resource(gvr).Namespace("flux-system").Create(ctx, obj, metav1.CreateOptions{})
	return err
}

// edit sets KEY=VALUE in a ConfigMap as kubectl edit does.
func edit(args []string) error {
	fs := flag.NewFlagSet("edit", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "the cluster")
	ns := fs.String("namespace", "", "the ConfigMap's namespace")
	name := fs.String("configmap", "", "the ConfigMap")
	_ = fs.Parse(args)
	key, value, ok := strings.Cut(fs.Arg(0), "=")
	if !ok || *ns == "" || *name == "" {
		return errors.New("usage: gitopsup edit -namespace NS -configmap NAME KEY=VALUE")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cm, err := kc.CoreV1().ConfigMaps(*ns).Get(ctx, *name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[key] = value
	_, err = kc.CoreV1().ConfigMaps(*ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
	return err
}
