// Command greeter answers greetings and counts them in Redis.
package main

import (
	"gofr.dev/pkg/gofr"
)

func main() {
	app := gofr.New()
	app.GET("/greet", func(ctx *gofr.Context) (any, error) {
		greeting := ctx.Config.Get("GREETING")
		if greeting == "" {
			greeting = "Hello"
		}
		n, err := ctx.Redis.Incr(ctx, "greetings").Result()
		if err != nil {
			return nil, err
		}
		return map[string]any{"message": greeting, "count": n}, nil
	})
	app.Run()
}
