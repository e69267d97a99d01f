module example.com/chat/relaymetrics

go 1.22
