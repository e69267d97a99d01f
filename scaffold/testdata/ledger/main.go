// Command ledger records payments; it ships with its own Helm chart.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	addr := ":" + os.Getenv("PORT")
	_ = os.Getenv("LEDGER_DB_URL")
	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ready")) })
	http.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("alive")) })
	log.Fatal(http.ListenAndServe(addr, nil))
}
