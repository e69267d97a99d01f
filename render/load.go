package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/ignore"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
)

// chartFiles reads the chart directory rel of the project as Helm's
// directory loader (loader.LoadDir) does — .helmignore applied, links
// followed, a UTF-8 byte-order mark trimmed — but through root: a link
// that leaves the project (a template, a file .Files.Get reads, a values
// file, a whole subchart) fails the load with root's refusal, which names
// it, instead of being read into the output. It refuses, before reading
// them, a values.yaml over project.MaxValuesSize and a chart over
// limits.ChartSize. Names are relative to the chart directory.
func chartFiles(root *confine.Root, rel string) ([]*archive.BufferedFile, error) {
	rules, err := helmIgnore(root, rel)
	if err != nil {
		return nil, err
	}
	var files []*archive.BufferedFile
	var total int64
	err = root.WalkDir(rel, func(p string, d fs.DirEntry, err error) error {
		n := chartName(rel, p)
		if n == "" {
			return err // the chart directory itself: missing, or a link out
		}
		info, ierr := entryInfo(d)
		if err != nil {
			// A link out that .helmignore leaves out is not read, so not
			// refused. What it points to is not looked at: it is ignored
			// if it would be as a file or as a directory.
			if ierr == nil && (rules.Ignore(n, info) || rules.Ignore(n, dirInfo{info})) {
				return nil
			}
			return err
		}
		if ierr != nil {
			return ierr
		}
		if rules.Ignore(n, info) {
			if info.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if info.IsDir() {
			return nil
		}
		if !info.Mode().IsRegular() {
			return &InputError{File: p, Msg: fmt.Sprintf("is not a regular file (%s)", info.Mode().Type())}
		}
		if err := withinChartLimits(p, info.Size(), &total); err != nil {
			return err
		}
		// A file grown since it was walked is not read past that.
		data, over, err := readAtMost(root, p, info.Size())
		if err != nil {
			return err
		}
		if over {
			return &InputError{File: p, Msg: "changed while ferry read it"}
		}
		files = append(files, &archive.BufferedFile{Name: n, ModTime: info.ModTime(), Data: bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))})
		return nil
	})
	return files, err
}

// chartName is p, a walked path relative to the project, relative to the
// chart directory rel; "" for the directory itself.
func chartName(rel, p string) string {
	rel = path.Clean(rel)
	if p == rel {
		return ""
	}
	if rel == "." {
		return p
	}
	return strings.TrimPrefix(p, rel+"/")
}

// dirInfo is a link's info as if it led to a directory.
type dirInfo struct{ fs.FileInfo }

func (dirInfo) IsDir() bool       { return true }
func (dirInfo) Mode() fs.FileMode { return fs.ModeDir | 0o755 }

func entryInfo(d fs.DirEntry) (fs.FileInfo, error) {
	if d == nil {
		return nil, errors.New("no entry")
	}
	return d.Info()
}

// withinChartLimits adds a file of size bytes at p to the chart's total.
func withinChartLimits(p string, size int64, total *int64) error {
	if path.Base(p) == "values.yaml" && size > project.MaxValuesSize {
		return &InputError{File: p, Msg: fmt.Sprintf("is %d MiB, more than the %d MiB ferry reads", size>>20, project.MaxValuesSize>>20)}
	}
	if *total += size; *total > limits.ChartSize {
		return &InputError{File: path.Dir(p), Msg: fmt.Sprintf("the chart holds more than %d MiB", limits.ChartSize>>20)}
	}
	return nil
}

// readAtMost reads the file p through root, but not past limit bytes:
// over reports a file that holds more.
func readAtMost(root *confine.Root, p string, limit int64) (data []byte, over bool, err error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", p, err)
	}
	if int64(len(data)) > limit {
		return nil, true, nil
	}
	return data, false, nil
}

// helmIgnore reads the chart's .helmignore, with Helm's defaults.
func helmIgnore(root *confine.Root, rel string) (*ignore.Rules, error) {
	rules := ignore.Empty()
	data, err := root.ReadFile(path.Join(rel, ignore.HelmIgnore))
	switch {
	case err == nil:
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, &InputError{File: path.Join(rel, ignore.HelmIgnore), Msg: err.Error()}
		}
	case errors.Is(err, confine.ErrRefused):
		return nil, err
	}
	rules.AddDefaults()
	return rules, nil
}

// loadChartFiles loads the chart at rel through root: a directory as
// chartFiles reads it, a packaged chart (.tgz) as Helm reads an archive.
// For a directory, values (when not nil and ok) are the chart's
// values.yaml as ferry parsed it for its lines: Helm's loader does not
// parse the file again.
func loadChartFiles(root *confine.Root, rel string, values func() (map[string]any, bool)) ([]*archive.BufferedFile, *chart.Chart, error) {
	if st, err := root.Stat(rel); err == nil && st.Mode().IsRegular() {
		data, err := root.ReadFile(rel)
		if err != nil {
			return nil, nil, err
		}
		c, err := loader.LoadArchive(bytes.NewReader(data))
		return nil, c, err
	}
	files, err := chartFiles(root, rel)
	if err != nil {
		return nil, nil, err
	}
	files = werfChartFile(root, rel, files)
	if values != nil {
		if vals, ok := values(); ok {
			c, err := loadWithValues(files, vals)
			return files, c, err
		}
	}
	c, err := loader.LoadFiles(files)
	return files, c, err
}

// loadWithValues loads files as Helm's loader does, with vals for the
// values.yaml among them, which it leaves unparsed. A values.yaml that
// starts with a byte-order mark is Helm's to read.
func loadWithValues(files []*archive.BufferedFile, vals map[string]any) (*chart.Chart, error) {
	i := slices.IndexFunc(files, func(f *archive.BufferedFile) bool { return f.Name == "values.yaml" })
	if i < 0 || bytes.HasPrefix(files[i].Data, []byte("\xef\xbb\xbf")) {
		return loader.LoadFiles(files)
	}
	data := files[i].Data
	blank := slices.Clone(files)
	blank[i] = &archive.BufferedFile{Name: "values.yaml", ModTime: files[i].ModTime}
	c, err := loader.LoadFiles(blank)
	if err != nil {
		return c, err
	}
	c.Values = vals
	for _, f := range c.Raw {
		if f.Name == "values.yaml" {
			f.Data = data
		}
	}
	return c, nil
}
