package artifact

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
)

// kit's build tags that leave a datasource client out of a service (see
// kit/sqldb and kit's redis.go). Linked, the pgx, SQLite and Redis
// clients' package initialisation pages in about 2.8 MB of an idle kit
// service's 14 MB, whether or not the service configures them.
const (
	tagNoPostgres = "kit_nopostgres"
	tagNoSQLite   = "kit_nosqlite"
	tagNoRedis    = "kit_noredis"
)

var (
	dbKey    = &lazyre.Regexp{Src: `(^|[^A-Za-z0-9_])DB_[A-Za-z0-9_]`}
	redisKey = &lazyre.Regexp{Src: `(^|[^A-Za-z0-9_])REDIS_[A-Za-z0-9_]`}
	// envFrom brings a ConfigMap's or Secret's keys into the container
	// without naming them in the chart.
	envFrom = &lazyre.Regexp{Src: `\benvFrom\b`}
)

// leanTags returns the tags that leave out the datasource clients nothing
// in the service's configuration could ask for. It reads by text and
// keeps a client on any doubt: a DB_ key (REDIS_ key) anywhere in
// configs/, the chart (values and templates), an environment's env, its
// --set flags or its secrets file keeps the SQL drivers (the Redis
// client); so does an envFrom in the chart, whose keys it cannot see, a
// ferry.yaml database section, or a file it cannot read. A service whose
// go.mod does not require kit gets none: the tags would change nothing
// but its executable's build ID, and with it the executable a
// configuration-only rebuild must share. A kit service built without a
// client refuses, at start and in one line naming the tag, a
// configuration that asks for it.
func leanTags(root *confine.Root, mod string, p *project.Project, configs []configFile) []string {
	if !requiresKit(root, mod) {
		return nil
	}
	var texts [][]byte
	for _, f := range configs {
		texts = append(texts, f.data)
	}
	if p.Chart != "" {
		err := root.WalkDir(p.Chart, func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := root.ReadFile(name)
			texts = append(texts, data)
			return err
		})
		if err != nil {
			return nil
		}
	}
	for _, e := range p.Environments {
		// The environment's own section as written (a target's env:
		// block among it): read as text, as the chart is.
		if e.Section != nil {
			if data, err := yaml.Marshal(e.Section); err == nil {
				texts = append(texts, data)
			}
		}
		for _, s := range e.Set {
			texts = append(texts, []byte(s.Path+"="+s.Value))
		}
		if secretsFile, _ := e.Setting("secretsFile"); secretsFile != "" {
			// Outside the repository by design; only its key names matter
			// here, and nothing of it is printed.
			path := secretsFile
			if !filepath.IsAbs(path) {
				path = filepath.Join(p.Dir, path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			texts = append(texts, data)
		}
	}
	// ferry.yaml's database section (p.Database is defaulted without one).
	sql := p.File != nil && p.File.Database != (project.Database{})
	redis := false
	for _, t := range texts {
		if envFrom.Get().Match(t) {
			return nil
		}
		sql = sql || dbKey.Get().Match(t)
		redis = redis || redisKey.Get().Match(t)
	}
	var tags []string
	if !sql {
		tags = append(tags, tagNoPostgres, tagNoSQLite)
	}
	if !redis {
		tags = append(tags, tagNoRedis)
	}
	slices.Sort(tags)
	return tags
}

// requiresKit says whether the go.mod in mod requires ferry's kit.
func requiresKit(root *confine.Root, mod string) bool {
	data, err := root.ReadFile(path.Join(mod, "go.mod"))
	if err != nil {
		return false
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(f.Require, func(r *modfile.Require) bool { return r.Mod.Path == kitModule })
}

// kitModule is the module path of ferry's kit.
const kitModule = "github.com/ferrydev/ferry/kit"
