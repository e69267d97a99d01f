module example.com/chat/relay

go 1.22
