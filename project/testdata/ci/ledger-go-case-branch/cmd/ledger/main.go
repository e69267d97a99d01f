// Command ledger serves the double-entry ledger API.
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"stage": os.Getenv("LEDGER_STAGE")})
	})
	_ = http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
