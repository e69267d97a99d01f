package kit_test

import (
	"fmt"
	"net/http/httptest"
	"testing/fstest"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/kit"
)

func ExampleWriteJSON() {
	w := httptest.NewRecorder()
	kit.WriteJSON(w, 201, map[string]any{"id": 1, "item": "widget"})
	fmt.Print(w.Code, " ", w.Body)
	// Output: 201 {"data":{"id":1,"item":"widget"}}
}

func ExampleParseSettings() {
	fsys := fstest.MapFS{"configs/.env": {Data: []byte("APP_NAME=orders\nTRACE_EXPORTER=otlp\nTRACER_URL=collector:4318\n")}}
	cfg, _ := envfile.Load(fsys, "configs", nil)
	_, err := kit.ParseSettings(cfg)
	fmt.Println(err)
	// Output: configs/.env:3: TRACER_URL="collector:4318" is not an OTLP/gRPC endpoint: port 4318 is OTLP/HTTP; kit exports OTLP/gRPC, usually on port 4317
}
