// Command inventory keeps stock counts: a GoFr-style service on ferry's
// kit, configured only through configs/.env and the environment.
package main

import (
	"encoding/json"
	"net/http"
	"os"

	"github.com/ferrydev/ferry/kit"

	"example.com/shop/inventory/internal/stock"
)

func main() {
	os.Exit(kit.Main(kit.Options{}, func(app *kit.App) error {
		s := stock.New()
		app.HandleFunc("GET /stock/{sku}", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]int{"count": s.Count(r.PathValue("sku"))})
		})
		return nil
	}))
}
