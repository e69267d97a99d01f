//go:build !kit_noredis

package kit

import (
	"context"

	"github.com/ferrydev/ferry/kit/redisdb"
)

// openRedis connects the REDIS_* client. The build tag kit_noredis leaves
// the client's code out of a service that never sets REDIS_HOST.
func (a *App) openRedis() error {
	rc, err := redisdb.Open(*a.settings.Redis, a.registry)
	if err != nil {
		return err
	}
	a.redis = rc
	a.health.Add("redis", rc)
	a.closers = append(a.closers, func(context.Context) error { return rc.Close() })
	return nil
}
