// Package main is a broken twin of orders-api: it branches on APP_ENV.
package main

import (
	"log"
	"os"
)

func main() {
	env := os.Getenv("APP_ENV")
	log.Printf("starting in %s", env) // reading and logging is fine
	if env == "prod" {                // FERRY031
		log.Print("prod mode")
	}
}
