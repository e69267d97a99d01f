package main

import "gofr.dev/pkg/gofr"

func main() {
	app := gofr.New()
	app.GET("/ping", func(*gofr.Context) (any, error) { return "pong", nil })
	app.Run()
}
