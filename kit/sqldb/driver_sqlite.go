//go:build !kit_nosqlite

package sqldb

import _ "modernc.org/sqlite" // registers "sqlite"
