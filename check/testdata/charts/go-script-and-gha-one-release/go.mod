module github.com/kestrel-labs/atlas

go 1.23

require github.com/jackc/pgx/v5 v5.6.0
