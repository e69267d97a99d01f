package render

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// TestPlainManifest: what plainManifest reads, yaml.v2 reads the same;
// what it cannot be sure of, it leaves to yaml.v2.
func TestPlainManifest(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		plain     bool // plainManifest reads it
	}{
		{"configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: svc\n  labels:\n    app.kubernetes.io/name: svc\ndata:\n  KEY_00: \"value-0\"\n  DB_HOST: 'db-0'\n  EMPTY: \"\"\n", true},
		{"deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc\nspec:\n  replicas: 2\n  template:\n    spec:\n      restartPolicy: Always\n      containers:\n        - name: svc\n          image: \"svc:1.0\"\n          ports:\n          - containerPort: 8080\n            name: http\n          args:\n            - verbose\n            - serve\n          env:\n            - name: A\n              value: \"1\"\n      volumes:\n", true},
		{"dash word", "kind: X\nargs:\n- --verbose\n", false},
		{"sequence at the key's indent", "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n  - name: b\n    image: redis\n  restartPolicy: Always\n", true},
		{"words and numbers", "kind: X\ndata:\n  a: yesterday\n  b: Offline\n  f:\n  g: 0\n  h: 123456789012345\n  8080: port\n", true},
		{"yaml 1.1 boolean", "kind: X\ndata:\n  a: yes\n", false},
		{"yaml 1.1 null", "kind: X\ndata:\n  a: ~\n", false},
		{"boolean key", "kind: X\ny: 1\n", false},
		{"numbers yaml.v2 reads", "kind: X\ndata:\n  a: 010\n", false},
		{"hex", "kind: X\ndata:\n  a: 0x1f\n", false},
		{"float", "kind: X\ndata:\n  a: 1.5\n", false},
		{"date", "kind: X\ndata:\n  a: 2024-01-02\n", false},
		{"underscores", "kind: X\ndata:\n  a: 1_000\n", false},
		{"escape", "kind: X\ndata:\n  a: \"a\\nb\"\n", false},
		{"flow", "kind: X\nref: {name: db, key: password}\n", false},
		{"comment", "kind: X # a comment\n", false},
		{"block scalar", "kind: X\ndata:\n  a: |\n    text\n", false},
		{"continued plain scalar", "kind: X\ndata:\n  a: one\n    two\n", false},
		{"continued quoted scalar", "kind: X\ndata:\n  a: \"one\n    two\"\n", false},
		{"anchor", "kind: X\na: &x y\nb: *x\n", false},
		{"plain with a space", "kind: X\na: hello world\n", false},
		{"colon space in value", "kind: X\na: b: c\n", false},
		{"duplicate key", "kind: X\na: 1\na: 2\n", false},
		{"tab", "kind: X\na:\t1\n", false},
		{"crlf", "kind: X\r\na: 1\r\n", false},
		{"not ascii", "kind: X\na: \"café\"\n", false},
		{"indented document", "  kind: X\n", false},
		{"top-level sequence", "- a\n- b\n", false},
		{"nested sequence", "kind: X\na:\n- - b\n", false},
		{"odd indent", "kind: X\na:\n    b: 1\n  c: 2\n", false},
		{"merge key", "kind: X\n<<: {}\n", false},
		{"empty", "\n\n", false},
		{"separator", "kind: X\n---\nkind: Y\n", false},
		{"long key", "kind: X\n" + strings.Repeat("k", 1100) + ": v\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := plainManifest(tc.doc)
			if ok != tc.plain {
				t.Fatalf("plainManifest ok = %v, want %v (%v)", ok, tc.plain, got)
			}
			if !ok {
				return
			}
			want, _ := v2Manifest(tc.doc)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("plainManifest = %#v\nyaml.v2 = %#v", got, want)
			}
		})
	}
}

// FuzzPlainManifest: plainManifest never reads a document differently
// from yaml.v2.
func FuzzPlainManifest(f *testing.F) {
	f.Add("kind: X\ndata:\n  a: \"b\"\n  c: 1\nl:\n- x: y\n  z: 0\n- w\n")
	f.Add("a:\n  b:\n  - c\n  d: off\n  e: 7\n")
	f.Add("spec:\n  template:\n    spec:\n      containers:\n        - name: svc\n          image: \"svc:1.0\"\n          ports:\n          - containerPort: 8080\n      volumes:\n")
	f.Add("data:\n  0: a\n  '1': \"\"\n  k: /x:y@z=w,v%\n")
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := plainManifest(doc)
		if !ok {
			return
		}
		want, err := v2Manifest(doc)
		if valid := err == nil; !valid || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: plainManifest = %#v, yaml.v2 (valid %v) = %#v", doc, got, valid, want)
		}
	})
}

// helmDocs are releaseutil.SplitManifests' documents, in its order.
func helmDocs(s string) []string {
	docs := releaseutil.SplitManifests(s)
	keys := slices.Collect(maps.Keys(docs))
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var out []string
	for _, k := range keys {
		out = append(out, docs[k])
	}
	return out
}

// TestSplitDocs: splitDocs splits as Helm does.
func TestSplitDocs(t *testing.T) {
	for _, s := range []string{
		"", "\n\n", "kind: A\n", "---\nkind: A\n---\nkind: B\n", "\n  ---  \nkind: A\n--- # comment\nkind: B\n",
		"kind: A\n----\nkind: B", "a: \"---\"\nb: x---\n  ---\n---\t\t\n---", "---kind: A\n---\n\n---\n",
	} {
		if got, want := splitDocs(s), helmDocs(s); !slices.Equal(got, want) {
			t.Errorf("%q: splitDocs = %q, Helm = %q", s, got, want)
		}
	}
}

func FuzzSplitDocs(f *testing.F) {
	f.Add("---\nkind: A\n--- #c\r\nkind: B\n\t---\n")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := splitDocs(s), helmDocs(s); !slices.Equal(got, want) {
			t.Fatalf("%q: splitDocs = %q, Helm = %q", s, got, want)
		}
	})
}
