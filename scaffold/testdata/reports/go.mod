module example.com/acme/reports

go 1.26.0
