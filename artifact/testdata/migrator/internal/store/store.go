// Package store names the ledger's tables.
package store

// Name is the schema the migrations create.
const Name = "ledger"

// docs is where the schema's diagrams are drawn from; nothing reads it
// at run time, and it does not exist in the repository.
var docs = "docs/schema"

var _ = docs
