module github.com/ferrydev/ferry

go 1.26.8
