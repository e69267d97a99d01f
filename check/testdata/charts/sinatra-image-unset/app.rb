require "sinatra"
get("/healthz") { "ok" }
