module example.com/training/yeller

go 1.26.0
