//go:build kit_noredis

package kit

import "errors"

// openRedis refuses REDIS_HOST in a service built with -tags kit_noredis.
func (a *App) openRedis() error {
	return errors.New("REDIS_HOST is set, but this service was built with -tags kit_noredis, which leaves the Redis client out; build it without that tag")
}
