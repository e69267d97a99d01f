module github.com/acme-health/vitals-go-reusable-own

go 1.23
