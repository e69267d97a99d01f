module example.org/discovery

go 1.22
