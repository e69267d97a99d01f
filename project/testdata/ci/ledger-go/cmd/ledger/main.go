package main

import "os"

func main() { _ = os.Getenv("LEDGER_DSN") }
