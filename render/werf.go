package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader/archive"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
)

// werf deploys a project's .helm directory as a chart with no Chart.yaml
// of its own (the chart is named after werf.yaml's project:), with
// template functions and values of its own: werf_container_image and
// werf_container_env print a container's image and its image-id
// variable, .Values.werf and .Values.global carry the environment and
// namespace it deploys to. ferry stands in for what werf would fill in,
// so that the rest of the chart renders as werf would render it.

// werfChartFile gives a werf chart with no Chart.yaml the one werf
// makes for it; files of any other chart are returned as they are.
func werfChartFile(root *confine.Root, rel string, files []*archive.BufferedFile) []*archive.BufferedFile {
	if chartFile(files, "Chart.yaml") != nil {
		return files
	}
	name := project.WerfProject(filepath.Join(root.Dir(), filepath.FromSlash(rel)))
	if name == "" {
		return files
	}
	data := fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 1.0.0\n", name)
	return append(files, &archive.BufferedFile{Name: "Chart.yaml", Data: []byte(data)})
}

// werfValues are the values werf sets for environment env deploying to
// namespace, under the user's (which win where they say otherwise).
func werfValues(env, namespace, name string) map[string]any {
	return map[string]any{
		"werf":   map[string]any{"env": env, "namespace": namespace, "name": name, "image": map[string]any{}},
		"global": map[string]any{"env": env, "namespace": namespace},
	}
}

// werfFuncs stand in for werf's template functions. The image is the
// one werf built, which ferry does not know: "werf-built/<image>:…", a
// reference no registry serves, stands in for it; a secret file's
// content is "werf-secret-file/<name>", neither a literal secret nor a
// placeholder.
var werfFuncs = map[string]any{
	"werf_container_image": func(arg any) string {
		return "image: " + werfImage(arg) + "\nimagePullPolicy: IfNotPresent"
	},
	"werf_container_env": func(arg any) string {
		return "- name: DOCKER_IMAGE_ID\n  value: " + werfImage(arg)
	},
	"werf_image": func(arg any) string { return werfImage(arg) },
	// werf decrypts .helm/secret/<name> as it deploys, with a key CI
	// holds: what the file says is known then, not here.
	"werf_secret_file": func(name string) string { return "werf-secret-file/" + name },
}

// werfImage is the image werf names for arg: the root context (.) or a
// tuple of an image name and it; what .Values.werf.image says when a
// user sets it.
func werfImage(arg any) string {
	name, ctx := "", arg
	if t, ok := arg.([]any); ok && len(t) == 2 {
		name, _ = t[0].(string)
		ctx = t[1]
	}
	var vals map[string]any
	switch c := ctx.(type) {
	case common.Values:
		vals, _ = asMap(c["Values"])
	case map[string]any:
		vals, _ = asMap(c["Values"])
	}
	if w, ok := asMap(vals["werf"]); ok {
		switch img := w["image"].(type) {
		case string:
			if img != "" {
				return img
			}
		case map[string]any:
			if s, ok := img[name].(string); ok && s != "" {
				return s
			}
		}
		if n, ok := w["name"].(string); ok && name == "" {
			name = n
		}
	}
	if name == "" {
		name = "app"
	}
	// werf deploys by the content-based tag of the image it built, as
	// immutable as a digest and unknown until it builds: a digest of the
	// image's name stands in for it.
	sum := sha256.Sum256([]byte(name))
	return "werf-built/" + strings.ToLower(name) + "@sha256:" + hex.EncodeToString(sum[:])
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case common.Values:
		return m, true
	case map[string]any:
		return m, true
	}
	return nil, false
}
