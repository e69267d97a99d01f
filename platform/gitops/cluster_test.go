package gitops

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform/gitops/fluxtest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

var crdsOnce sync.Once

// cluster returns the package's test cluster with Flux's CRDs (as
// source-controller and kustomize-controller v1.9.6 ship them) and the
// Argo CD Application CRD installed, and a dynamic client.
func cluster(t testing.TB) (*testcluster.Cluster, dynamic.Interface) {
	t.Helper()
	c := testcluster.Get(t)
	dc, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	var ierr error
	crdsOnce.Do(func() {
		files, _ := filepath.Glob("testdata/crds/*.yaml")
		files = append(files, "testdata/argocd/application-crd.yaml")
		for _, f := range files {
			if ierr = fluxtest.ApplyCRDs(context.Background(), dc, f); ierr != nil {
				return
			}
		}
		for _, ns := range []string{"flux-system", "argocd"} {
			_, err := c.Client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				ierr = err
				return
			}
		}
	})
	if ierr != nil {
		t.Fatal(ierr)
	}
	return c, dc
}
