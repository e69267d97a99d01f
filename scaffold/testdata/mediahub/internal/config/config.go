// Package config reads the service's settings from the environment.
package config

import (
	"os"
	"strconv"
)

// Config is where the service listens and what it caches in.
type Config struct {
	Host      string
	Port      int
	RedisPort int
}

// FromEnv reads MEDIA_HUB_HOST and MEDIA_HUB_PORT (and the cache's port,
// which is not the service's).
func FromEnv() (*Config, error) {
	port, err := strconv.Atoi(os.Getenv("MEDIA_HUB_PORT"))
	if err != nil {
		return nil, err
	}
	redis, _ := strconv.Atoi(os.Getenv("REDIS_PORT"))
	return &Config{Host: os.Getenv("MEDIA_HUB_HOST"), Port: port, RedisPort: redis}, nil
}
