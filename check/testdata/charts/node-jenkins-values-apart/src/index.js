const app = require("fastify")({ logger: true });
app.get("/health", async () => ({ ok: true }));
app.listen({ port: Number(process.env.PORT || 8080), host: "0.0.0.0" });
