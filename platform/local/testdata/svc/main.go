// Command svc is a tiny stand-in service for ferry's tests: it serves
// /.well-known/health on HTTP_PORT and drains on SIGTERM within
// SHUTDOWN_GRACE_PERIOD. CRASH=1 makes it exit at start; HANG_HEALTH=1
// makes its health endpoint never answer. WRITE_FILE and MARK write a file
// by a relative path, as a SQLite DB_NAME would.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	fmt.Println("svc starting, version", version)
	if os.Getenv("CRASH") == "1" {
		fmt.Fprintln(os.Stderr, "fatal: crash requested by CRASH=1")
		os.Exit(2)
	}
	// WRITE_FILE=<relative path> writes MARK there, and fails unless the
	// image's configs/ is readable from the working directory.
	if f := os.Getenv("WRITE_FILE"); f != "" {
		if _, err := os.Stat("configs"); err != nil {
			fmt.Fprintln(os.Stderr, "fatal: no configs/ in the working directory:", err)
			os.Exit(2)
		}
		if err := os.WriteFile(f, []byte(os.Getenv("MARK")), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fatal:", err)
			os.Exit(2)
		}
	}
	port := os.Getenv("HTTP_PORT")
	if port == "" {
		port = "8000"
	}
	var mu sync.Mutex
	var orders []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/health", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("HANG_HEALTH") == "1" {
			<-r.Context().Done()
			return
		}
		fmt.Fprintf(w, `{"data":{"name":%q,"status":"UP"}}`, os.Getenv("APP_NAME"))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		orders = append(orders, "o")
		n := len(orders)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"data":{"id":%d}}`, n)
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, `{"data":{"count":%d}}`, len(orders))
	})
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, "fatal:", err)
			os.Exit(1)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	grace, err := time.ParseDuration(os.Getenv("SHUTDOWN_GRACE_PERIOD"))
	if err != nil {
		grace = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(ctx)
	fmt.Println("svc stopped")
}

var version = "1"
