package mail

import "os"

func getEnv(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// Sender picks the mail relay.
func Sender() string {
	if getEnv("APP_ENV", "development") != "production" {
		return "mailhog:1025"
	}
	return os.Getenv("SMTP_RELAY")
}
