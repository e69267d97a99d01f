require "sinatra"; get("/health") { "ok" }
