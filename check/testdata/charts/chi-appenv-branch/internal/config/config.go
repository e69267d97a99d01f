package config

import "os"

// Config is what the service reads from its environment.
type Config struct {
	Env  string
	Port string
}

// Load reads the configuration.
func Load() Config {
	c := Config{Env: os.Getenv("APP_ENV"), Port: os.Getenv("PORT")}
	if c.Port == "" {
		c.Port = "8080"
	}
	return c
}
