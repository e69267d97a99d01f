module git.example.org/payments/ledger

go 1.26.0
