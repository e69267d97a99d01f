package gitops

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

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
			if ierr = applyFile(context.Background(), dc, f); ierr != nil {
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

// applyFile creates every CRD of a YAML file and waits until each is
// established.
func applyFile(ctx context.Context, dc dynamic.Interface, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if obj.Object == nil {
			continue
		}
		if _, err := dc.Resource(crdGVR).Create(ctx, &obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, err := dc.Resource(crdGVR).Get(ctx, obj.GetName(), metav1.GetOptions{})
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				return errors.New("CRD " + obj.GetName() + " not established in 30s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
