// Command up starts the test control plane (building it first when the
// cache is cold), writes its kubeconfig, and keeps it running until
// interrupted: a throwaway cluster for `make demo-kube` and for poking at
// by hand (KUBECONFIG=<file> kubectl get pods -A, if kubectl is around).
//
//	go run ./hack/testcluster/up -kubeconfig /tmp/kc -namespace staging -namespace prod \
//	    -secret staging/orders-api-db/password=local-demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	kubeconfig := flag.String("kubeconfig", "", "write the cluster's kubeconfig here (required)")
	var namespaces, secrets list
	flag.Var(&namespaces, "namespace", "create this namespace (repeatable)")
	flag.Var(&secrets, "secret", "create Secret namespace/name/key=value (repeatable)")
	flag.Parse()
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "up: -kubeconfig is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := testcluster.Start(ctx, testcluster.Options{Name: "ferry-demo", Build: true, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "up:", err)
		os.Exit(1)
	}
	defer c.Stop()
	if err := setup(ctx, c, namespaces, secrets); err != nil {
		fmt.Fprintln(os.Stderr, "up:", err)
		c.Stop()
		os.Exit(1)
	}
	data, err := os.ReadFile(c.Kubeconfig)
	if err == nil {
		// Written last and renamed into place: whoever waits for the file
		// finds a cluster that is ready.
		tmp := *kubeconfig + ".tmp"
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, *kubeconfig)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "up:", err)
		c.Stop()
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "up: control plane ready in %s; KUBECONFIG=%s\n", c.Started.Round(time.Millisecond), *kubeconfig)
	<-ctx.Done()
}

func setup(ctx context.Context, c *testcluster.Cluster, namespaces, secrets []string) error {
	for _, ns := range namespaces {
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
		_, err := c.Client.CoreV1().Secrets(parts[0]).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: parts[1]},
			StringData: map[string]string{parts[2]: kv},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
	}
	return nil
}
