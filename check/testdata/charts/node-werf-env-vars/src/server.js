require("http").createServer((_, r) => r.end("ok")).listen(process.env.PORT || 3000);
