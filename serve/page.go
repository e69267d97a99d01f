package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/view"
)

type authedKey struct{}

func withAuthed(ctx context.Context, ok bool) context.Context {
	return context.WithValue(ctx, authedKey{}, ok)
}

func authed(r *http.Request) bool {
	ok, _ := r.Context().Value(authedKey{}).(bool)
	return ok
}

// page renders the pipeline; ?fragment=board renders only the board, for
// the script's live update.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	b, err := s.current(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	view := *b
	view.Authed = authed(r)
	view.Flash, view.Error = r.URL.Query().Get("done"), r.URL.Query().Get("failed")
	name := "page"
	if r.URL.Query().Get("fragment") == "board" {
		name = "board"
	}
	s.render(w, http.StatusOK, name, &view)
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("rendering the page", "template", name, "err", err)
		http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiError answers {"error": "…"} with the status the error's kind says.
func apiError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, project.ErrUnknownEnvironment), errors.Is(err, promote.ErrInput):
		status = http.StatusBadRequest
	case errors.Is(err, promote.ErrGate):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// The JSON API: the same view types as the CLI's -o json.

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	v, err := promote.NewStatus(s.conf()).Run(r.Context())
	s.answer(w, "", v, err)
}

// perEnv serves an operation over the environment the path names.
func perEnv[T any](s *Server, run func(ctx context.Context, env string) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		env := r.PathValue("env")
		v, err := run(r.Context(), env)
		s.answer(w, env, v, err)
	}
}

// answer writes v as the CLI's -o json does: with the project and, when
// env is set, the environment first (view.WithProject).
func (s *Server) answer(w http.ResponseWriter, env string, v any, err error) {
	if err != nil {
		apiError(w, err)
		return
	}
	p := s.conf().Project
	b, err := view.WithProject(view.NewProject(p.Dir, p), env, v)
	if err != nil {
		apiError(w, err)
		return
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		apiError(w, err)
		return
	}
	out.WriteByte('\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = out.WriteTo(w)
}

// levels is the store of log-level settings.
func (s *Server) levels() remotelog.Store { return promote.LevelStore(s.conf()) }

// configuredLevel is env's LOG_LEVEL as its live revision was deployed
// with; ok false for an environment the project does not have.
func (s *Server) configuredLevel(env string) (string, bool) {
	if _, err := s.conf().Project.Env(env); err != nil {
		return "", false
	}
	return promote.ConfiguredLevel(s.conf(), env), true
}
