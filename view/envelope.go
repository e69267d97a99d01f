package view

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// WithProject is v, a JSON object, as compact JSON with the project
// object first and, when env is set and v has no "environment" of its
// own, env as "environment": the two fields every JSON output carries
// (DESIGN.md), the CLI's and ferry serve's alike, added here once rather
// than in every view type. A field v calls "env" or "name" stays beside
// it as an alias for one release. HTML is not escaped.
func WithProject(proj *Project, env string, v any) ([]byte, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body.Bytes(), &fields); err != nil {
		return nil, fmt.Errorf("JSON output is not an object: %w", err)
	}
	var out bytes.Buffer
	out.WriteByte('{')
	head := func(k string, hv any) error {
		if _, ok := fields[k]; ok {
			return nil
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(hv); err != nil {
			return err
		}
		fmt.Fprintf(&out, "%q:%s,", k, bytes.TrimSpace(b.Bytes()))
		return nil
	}
	if proj != nil {
		if err := head("project", proj); err != nil {
			return nil, err
		}
	}
	if env != "" {
		if err := head("environment", env); err != nil {
			return nil, err
		}
	}
	rest := bytes.TrimSpace(body.Bytes())[1:]
	if len(fields) == 0 {
		// {} : drop the comma the head left.
		out.Truncate(max(out.Len()-1, 1))
	}
	out.Write(rest)
	return out.Bytes(), nil
}
