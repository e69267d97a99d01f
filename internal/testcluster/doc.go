// Package testcluster runs a real Kubernetes control plane on loopback for
// tests: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok (which plays the kubelets: pods get scheduled, become Ready and
// report the imageID of a digest-pinned image, but no container runs).
//
// The five binaries are built from three small tools modules under
// hack/testcluster (k8s, etcd, kwok: separate so that Go's module
// selection does not move kube-apiserver off its upstream-tested
// dependencies) into a cache directory keyed by those modules' go.mod and
// go.sum files, so a new pin means a new build and nothing else does. The
// first build takes about 8.5 minutes on two cores; after that a cluster
// starts in about four seconds.
//
// A test package starts at most one cluster, lazily, from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }
//
//	func TestX(t *testing.T) {
//		c := testcluster.Get(t)       // the package's cluster
//		ns := c.Namespace(t)          // this test's own namespace
//		…
//	}
//
// Without the binaries a test skips, except under CI=true, where it fails:
// CI builds them first (make testcluster). go test -short skips always.
package testcluster
