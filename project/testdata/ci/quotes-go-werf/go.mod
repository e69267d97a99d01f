module example.org/quotes

go 1.22
