package project

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/lazyre"
)

// MaxValuesSize is the largest values file ferry reads. Real values files
// are a few KiB; a bigger one is a mistake that would only cost memory and
// time.
const MaxValuesSize = 10 << 20

// envName is a DNS label: environment names become namespaces, release
// suffixes, directory names under .ferry/ and parts of host names, so
// "../x" or "Prod" must never get that far.
var envName = lazyre.New(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ValidName reports whether name may name an environment: a DNS label of
// at most 63 characters.
func ValidName(name string) error {
	if len(name) > 63 || !envName.Get().MatchString(name) {
		return fmt.Errorf("environment name %q: use lower-case letters, digits and '-' (a DNS label, at most 63 characters)", name)
	}
	return nil
}

// serviceName is what ferry.yaml may name a service: the name becomes
// the binary .ferry/build/<service>, the image's name and the release's,
// so it is one path element of letters, digits, '.', '_' and '-' that
// starts with a letter or digit ("..", "../x" and "/x" never are).
var serviceName = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidServiceName reports whether name may name a service in ferry.yaml.
func ValidServiceName(name string) error {
	if !serviceName.Get().MatchString(name) {
		return fmt.Errorf("service name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 128): it becomes a file name under .ferry/build", name)
	}
	return nil
}

// ValidFileName reports whether a name that ferry derives (from a
// chart's name, a directory's) and then uses as a file name is one path
// element: not empty, ".", "..", and without a separator or a NUL.
func ValidFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%q is not a file name: it must be one path element, without '/', '\\' or '..'", name)
	}
	return nil
}

// ValidNamespace reports whether name may name a Kubernetes namespace:
// a DNS label, as the API server requires. ferry also names local state
// after it.
func ValidNamespace(name string) error {
	if len(name) > 63 || !envName.Get().MatchString(name) {
		return fmt.Errorf("namespace %q: use lower-case letters, digits and '-' (a DNS label, at most 63 characters)", name)
	}
	return nil
}

// fileLines are the lines ferry.yaml's settings stand on, for errors.
type fileLines struct {
	chart, main, service int
	path, layers         []int
	trustKeys            []int
	env                  map[string]envLines
}

type envLines struct {
	name, soak, namespace, release int
	values                         []int
}

func readLines(data []byte) fileLines {
	l := fileLines{env: map[string]envLines{}}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
		return l
	}
	root := doc.Content[0]
	if n := mapValue(root, "chart"); n != nil {
		l.chart = n.Line
	}
	if n := mapValue(root, "main"); n != nil {
		l.main = n.Line
	}
	if n := mapValue(root, "service"); n != nil {
		l.service = n.Line
	}
	l.path = itemLines(mapValue(root, "path"))
	l.layers = itemLines(mapValue(root, "layers"))
	if n := mapValue(root, "trust"); n != nil {
		l.trustKeys = itemLines(mapValue(n, "keys"))
	}
	if envs := mapValue(root, "environments"); envs != nil && envs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(envs.Content); i += 2 {
			key, spec := envs.Content[i], envs.Content[i+1]
			el := envLines{name: key.Line}
			if n := mapValue(spec, "soak"); n != nil {
				el.soak = n.Line
			}
			if n := mapValue(spec, "namespace"); n != nil {
				el.namespace = n.Line
			}
			if n := mapValue(spec, "release"); n != nil {
				el.release = n.Line
			}
			el.values = itemLines(mapValue(spec, "values"))
			l.env[key.Value] = el
		}
	}
	return l
}

// lineOf is ":LINE" of key at the top of the YAML file at path, or "".
func lineOf(path, key string) string {
	data, err := readRegular(path)
	var doc yaml.Node
	if err != nil || yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
		return ""
	}
	if n := mapValue(doc.Content[0], key); n != nil {
		return fmt.Sprintf(":%d", n.Line)
	}
	return ""
}

// itemLines are the lines of a sequence's items.
func itemLines(n *yaml.Node) []int {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	lines := make([]int, len(n.Content))
	for i, item := range n.Content {
		lines[i] = item.Line
	}
	return lines
}

// at formats ferry.yaml:LINE, or ferry.yaml when the line is unknown.
func at(line int) string {
	if line <= 0 {
		return FileName
	}
	return fmt.Sprintf("%s:%d", FileName, line)
}

func lineAt(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

// validateFile refuses what ferry.yaml may not say, naming its line:
// environment names and namespaces that are not DNS labels, a service or
// release name that is not one file name, paths that leave the project
// (chart, main, layers, values, trust.keys), values files that are not
// regular files or are over MaxValuesSize, a negative soak. A target's
// own settings (the local target's secretsFile, which may lie outside)
// are its decoder's to check.
func validateFile(dir string, data []byte, f *File) error {
	// The lines are wanted only to name one in an error.
	lines := sync.OnceValue(func() fileLines { return readLines(data) })
	if f.Chart != "" {
		if err := inside(dir, f.Chart); err != nil {
			return fmt.Errorf("%s: chart: %w", at(lines().chart), err)
		}
	}
	if f.Main != "" {
		if err := inside(dir, f.Main); err != nil {
			return fmt.Errorf("%s: main: %w", at(lines().main), err)
		}
	}
	if f.Service != "" {
		if err := ValidServiceName(f.Service); err != nil {
			return fmt.Errorf("%s: %w", at(lines().service), err)
		}
	}
	for i, n := range f.Path {
		if err := ValidName(n); err != nil {
			return fmt.Errorf("%s: path: %w", at(lineAt(lines().path, i)), err)
		}
	}
	for i, l := range f.Layers {
		if err := valuesFile(dir, l); err != nil {
			return fmt.Errorf("%s: layers: %s: %w", at(lineAt(lines().layers, i)), l, err)
		}
	}
	for i, k := range f.Trust.Keys {
		if strings.Contains(k, "-----BEGIN ") {
			continue // an inline key
		}
		if err := inside(dir, k); err != nil {
			return fmt.Errorf("%s: trust.keys: %w", at(lineAt(lines().trustKeys, i)), err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.Environments)) {
		spec := f.Environments[name]
		el := func() envLines { return lines().env[name] }
		if err := ValidName(name); err != nil {
			return fmt.Errorf("%s: %w", at(el().name), err)
		}
		if spec.Namespace != "" {
			if err := ValidNamespace(spec.Namespace); err != nil {
				return fmt.Errorf("%s: environment %q: %w", at(el().namespace), name, err)
			}
		}
		if spec.Release != "" {
			if err := ValidFileName(spec.Release); err != nil {
				return fmt.Errorf("%s: environment %q: release: %w", at(el().release), name, err)
			}
		}
		if spec.Soak.Duration.Duration < 0 {
			return fmt.Errorf("%s: environment %q: soak %s is negative", at(el().soak), name, spec.Soak.Duration.Duration)
		}
		for i, v := range spec.Values {
			if err := valuesFile(dir, v); err != nil {
				return fmt.Errorf("%s: environment %q: values file %s: %w", at(lineAt(el().values, i)), name, v, err)
			}
		}
	}
	return nil
}

// validateEnvironments checks the environments the loader settled on:
// each name (discovered ones too) is a DNS label, and each entry of
// ferry.yaml's path is an environment the project has — one ferry.yaml
// configures, or one with a values file or a configs overlay of its own —
// rather than a typo that would become an empty environment.
func validateEnvironments(p *Project, data []byte) error {
	lines := sync.OnceValue(func() fileLines { return readLines(data) })
	if err := ValidFileName(p.Service); err != nil {
		// Not from ferry.yaml (validateFile checked that): from the
		// chart's name.
		chartFile := filepath.Join(p.Chart, "Chart.yaml")
		return fmt.Errorf("%s: name: the service is named after the chart, and %w; set service: in %s", chartFile+lineOf(filepath.Join(p.Dir, chartFile), "name"), err, FileName)
	}
	for _, e := range p.Environments {
		if err := ValidName(e.Name); err != nil {
			return fmt.Errorf("%w; rename the values or configs file it was found from", err)
		}
		for _, v := range e.Values {
			if err := valuesFile(p.Dir, v); err != nil {
				return fmt.Errorf("environment %q: values file %s: %w", e.Name, v, err)
			}
		}
	}
	if p.File == nil {
		return nil
	}
	base := filepath.Join(p.Chart, "values.yaml")
	for i, n := range p.File.Path {
		if _, ok := p.File.Environments[n]; ok {
			continue
		}
		e, err := p.Env(n)
		if err == nil && hasOwnFiles(p, e, base) {
			continue
		}
		return fmt.Errorf("%s: path names %q, which is not an environment: no values-%s.yaml, no configs/.%s.env and no entry under environments:", at(lineAt(lines().path, i)), n, n, n)
	}
	return nil
}

func hasOwnFiles(p *Project, e *Environment, base string) bool {
	for _, v := range e.Values {
		if filepath.Clean(v) != base {
			return true
		}
	}
	return p.Configs != "" && isFileIn(p.Dir, path.Join(p.Configs, "."+e.Name+".env"))
}

// inside refuses a path that leads out of dir, lexically or through a
// symbolic link.
func inside(dir, rel string) error {
	if filepath.IsAbs(rel) || !filepath.IsLocal(filepath.Clean(rel)) {
		return fmt.Errorf("%s is outside the project directory", rel)
	}
	var ce *confine.Error
	if _, err := statIn(dir, rel, false); errors.As(err, &ce) && ce.Outside {
		return fmt.Errorf("%s leads outside the project directory (%s)", rel, ce.Why)
	}
	return nil // a missing path is reported where it is used
}

// valuesFile refuses a values file outside the project, one that is not a
// regular file (a directory would be skipped, a FIFO would block the
// reader) and one over MaxValuesSize. A missing file is the loader's to
// report.
func valuesFile(dir, rel string) error {
	if err := inside(dir, rel); err != nil {
		return err
	}
	st, err := statIn(dir, rel, false)
	if err != nil {
		return nil
	}
	return RegularWithin(st, MaxValuesSize)
}

// RegularWithin refuses what is not a regular file of at most limit
// bytes: a directory would be skipped and a FIFO would block its reader,
// so either is named instead.
func RegularWithin(st os.FileInfo, limit int64) error {
	switch {
	case st.IsDir():
		return fmt.Errorf("is a directory, not a file")
	case !st.Mode().IsRegular():
		return fmt.Errorf("is not a regular file (%s)", st.Mode().Type())
	case st.Size() > limit:
		return fmt.Errorf("is larger than the %d MiB limit", limit>>20)
	}
	return nil
}
