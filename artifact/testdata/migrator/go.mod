module example.com/ledger/migrator

go 1.24
