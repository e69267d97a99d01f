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
