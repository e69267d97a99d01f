module example.com/media/mediahub

go 1.22
