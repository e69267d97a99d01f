package packfs

import (
	"bytes"
	"maps"
	"testing"
	"testing/fstest"
)

func TestRoundTrip(t *testing.T) {
	src := fstest.MapFS{
		"page.html":                    {Data: []byte("<!doctype html>\n<title>ferry</title>\n")},
		"chart/templates/svc.yaml":     {Data: []byte("kind: Service\n")},
		"chart/values.yaml.tmpl":       {Data: []byte("image: [[ .Image ]]\n")},
		"empty":                        {Data: nil},
		"chart/templates/_helpers.tpl": {Data: []byte(`{{- define "x" -}}{{- end -}}`)},
	}
	a, err := Pack(src)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Pack(src)
	if !bytes.Equal(a, b) {
		t.Error("packing the same files twice gave two archives")
	}
	got, err := Unpack(a)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for name, f := range src {
		want[name] = f.Data
	}
	if !maps.EqualFunc(got, want, func(x, y []byte) bool { return bytes.Equal(x, y) }) {
		t.Errorf("unpacked %q, want %q", got, want)
	}
	if _, err := Unpack([]byte("not gzip")); err == nil {
		t.Error("Unpack of junk succeeded")
	}
}

func TestCompare(t *testing.T) {
	src := fstest.MapFS{"a.txt": {Data: []byte("one\n")}, "b/c.txt": {Data: []byte("two\n")}}
	packed, _ := Pack(src)
	if _, same, err := Compare(src, packed); err != nil || !same {
		t.Errorf("Compare of its own archive = %v, %v; want same", same, err)
	}
	edited := fstest.MapFS{"a.txt": {Data: []byte("one!\n")}, "b/c.txt": {Data: []byte("two\n")}}
	if _, same, _ := Compare(edited, packed); same {
		t.Error("an edited file compared the same")
	}
	added := fstest.MapFS{"a.txt": {Data: []byte("one\n")}, "b/c.txt": {Data: []byte("two\n")}, "d.txt": {}}
	if _, same, _ := Compare(added, packed); same {
		t.Error("an added file compared the same")
	}
	if _, same, _ := Compare(src, []byte("junk")); same {
		t.Error("a broken archive compared the same")
	}
}
