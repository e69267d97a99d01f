module example.com/twomains

go 1.26.0
