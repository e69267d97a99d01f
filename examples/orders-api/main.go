// Command orders-api is ferry's bundled example: a small order service on
// kit, configured only through GoFr's contract (configs/.env, the
// environment's overlay and the process environment). It stores orders in
// SQLite locally and in PostgreSQL in the chart's environments, which is a
// matter of DB_* keys, never of code.
package main

import (
	"os"

	"github.com/ferrydev/ferry/kit"
)

func main() {
	os.Exit(kit.Main(kit.Options{}, setup))
}
