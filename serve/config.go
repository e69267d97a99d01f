package serve

import (
	"context"
	"net/http"
	"slices"

	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

// renderEnv is env's effective configuration, through the view types and
// redaction `ferry render -o json` uses.
func (s *Server) renderEnv(ctx context.Context, env string) (*view.Render, error) {
	res, err := render.Render(ctx, s.conf().Project, env)
	if err != nil {
		return nil, err
	}
	return view.NewRender(res), nil
}

// diffEnvs is what differs from one environment to another, in the
// service's container and in every container, as `ferry diff -o json`
// says it.
func (s *Server) diffEnvs(ctx context.Context, from, to string) (*view.ConfigDiff, error) {
	r := render.New(s.conf().Project)
	a, err := r.Render(ctx, from)
	if err != nil {
		return nil, err
	}
	b, err := r.Render(ctx, to)
	if err != nil {
		return nil, err
	}
	return view.NewDiff(a, b), nil
}

func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) {
	v, err := s.diffEnvs(r.Context(), r.PathValue("from"), r.PathValue("to"))
	s.answer(w, "", v, err)
}

// configView is the configuration page: one environment's effective
// configuration and its difference from another.
type configView struct {
	Service, Env, With string
	Envs               []string
	Render             *view.Render
	Diff               *view.ConfigDiff
	Error, DiffError   string
}

// otherEnv is what env is compared with by default: the next environment
// on the path, else the one before it, else the first other one.
func otherEnv(path, envs []string, env string) string {
	if i := slices.Index(path, env); i >= 0 {
		if i+1 < len(path) {
			return path[i+1]
		}
		if i > 0 {
			return path[i-1]
		}
	}
	for _, e := range envs {
		if e != env {
			return e
		}
	}
	return ""
}

// configPage renders /config/{env}?with=other.
func (s *Server) configPage(w http.ResponseWriter, r *http.Request) {
	p := s.conf().Project
	env := r.PathValue("env")
	if _, err := p.Env(env); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	v := configView{Service: p.Service, Env: env}
	for _, e := range p.Environments {
		v.Envs = append(v.Envs, e.Name)
	}
	v.With = r.URL.Query().Get("with")
	if v.With == "" {
		v.With = otherEnv(p.Path, v.Envs, env)
	}
	status := http.StatusOK
	if rv, err := s.renderEnv(r.Context(), env); err != nil {
		v.Error, status = secret.Scrub(err.Error()), http.StatusUnprocessableEntity
	} else {
		v.Render = rv
	}
	if v.With != "" && v.With != env {
		if d, err := s.diffEnvs(r.Context(), env, v.With); err != nil {
			v.DiffError = secret.Scrub(err.Error())
		} else {
			v.Diff = d
		}
	}
	s.render(w, status, "config", v)
}
