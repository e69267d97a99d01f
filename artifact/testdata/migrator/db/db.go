package db

// Package db is Go code beside the seed data: not packed.
const Dir = "db"
