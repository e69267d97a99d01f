//go:build !kit_nopostgres

package sqldb

import _ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
