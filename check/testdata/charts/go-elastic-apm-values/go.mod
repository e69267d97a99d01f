module github.com/acme-pay/card-api

go 1.22

require (
	github.com/go-chi/chi/v5 v5.0.12
	go.elastic.co/apm/v2 v2.5.0
)
