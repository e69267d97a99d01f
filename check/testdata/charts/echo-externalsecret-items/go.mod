module github.com/acme/ledgerbook

go 1.23

require (
	github.com/labstack/echo/v4 v4.12.0
	github.com/jackc/pgx/v5 v5.6.0
)
