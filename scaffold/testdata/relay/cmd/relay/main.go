package main

import (
	"flag"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "0.0.0.0:9090", "address to listen on")
	metricsAddr := flag.String("metrics-addr", ":9102", "address for /metrics")
	flag.Parse()
	go http.ListenAndServe(*metricsAddr, nil)
	upstream := os.Getenv("RELAY_UPSTREAM_URL")
	log.Printf("relaying to %s", upstream)
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
