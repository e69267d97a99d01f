// Package invoice lists invoices.
package invoice

import (
	"encoding/json"
	"net/http"
)

// Store would read invoices from the database at dsn.
type Store struct{ dsn, token string }

// NewStore returns a store; nothing connects until first use.
func NewStore(dsn, token string) *Store { return &Store{dsn: dsn, token: token} }

// List writes the invoices as JSON.
func (s *Store) List(w http.ResponseWriter, _ *http.Request) {
	json.NewEncoder(w).Encode([]string{})
}
