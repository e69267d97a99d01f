package project

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DecodeSettings decodes the keys of e's ferry.yaml section that are not
// SharedKeys into out, a pointer to target's settings struct, and
// refuses a key that neither names with ferry.yaml:line — the one place
// a target's decoder gets its strictness from. An environment without a
// section leaves out as it is.
func (e *Environment) DecodeSettings(target string, out any) error {
	n := e.Section
	if n == nil {
		return nil
	}
	own := *n
	own.Content = nil
	keys := yamlKeys(out)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch {
		case slices.Contains(SharedKeys, k.Value):
		case slices.Contains(keys, k.Value):
			own.Content = append(own.Content, k, n.Content[i+1])
		default:
			return fmt.Errorf("%s:%d: environment %q: unknown field %q for target %s (its own: %s; every target's: %s)",
				FileName, k.Line, e.Name, k.Value, target, orNone(keys), strings.Join(SharedKeys, ", "))
		}
	}
	err := knownFields(&own, reflect.TypeOf(out))
	if err == nil {
		err = own.Decode(out)
	}
	if err != nil {
		where, msg, _ := strings.Cut(yamlError(FileName, err).Error(), ": ")
		return fmt.Errorf("%s: environment %q: %s", where, e.Name, msg)
	}
	return nil
}

// Setting returns the scalar value of key in e's ferry.yaml section and
// its line ("" and 0 when the section does not set it). It is for
// readers that look at another target's key without decoding its
// settings: check compares the clusters (context:) environments deploy
// to.
func (e *Environment) Setting(key string) (string, int) {
	if v := mapValue(e.Section, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value, v.Line
	}
	return "", 0
}

// KeyLine returns the line of key in e's ferry.yaml section, else the
// section's own line (0 when unknown), for messages about a setting.
func (e *Environment) KeyLine(key string) int {
	if n := e.Section; n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	return e.Line
}

// yamlKeys are the yaml names of the fields of the struct out points at.
func yamlKeys(out any) []string {
	var keys []string
	for _, f := range yamlFields(reflect.TypeOf(out)) {
		keys = append(keys, f.name)
	}
	return keys
}

type yamlField struct {
	name string
	typ  reflect.Type
}

// yamlFields are the fields of struct type t (through pointers) by their
// yaml names, an inlined struct's among them.
func yamlFields(t reflect.Type) []yamlField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []yamlField
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline":
			out = append(out, yamlFields(f.Type)...)
		case name != "" && name != "-":
			out = append(out, yamlField{name, f.Type})
		}
	}
	return out
}

func orNone(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

// knownFields refuses a key of mapping n that the struct type t (or, for
// a slice, its elements) does not name, as a yaml decoder with
// KnownFields does, where a node is decoded on its own (node.Decode has
// no such option). A type that decodes itself is its own judge, and a
// yaml.Node field (a block a target decodes later) is left as written.
func knownFields(n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || t == reflect.TypeFor[yaml.Node]() || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil // kept as written, or decoded by its own method
	}
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			if err := knownFields(item, t.Elem()); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		for _, f := range yamlFields(t) {
			fields[f.name] = f.typ
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("line %d: field %s not found in type %s", k.Line, k.Value, t)
			}
			if err := knownFields(n.Content[i+1], ft); err != nil {
				return err
			}
		}
	}
	return nil
}
