const express = require("express");
const fs = require("fs");

const routes = JSON.parse(fs.readFileSync("/etc/notify/routes.json", "utf8"));
const app = express();

app.get("/healthz", (_req, res) => res.send("ok"));
app.post("/notify/:channel", (req, res) => {
  const route = routes[req.params.channel];
  if (!route) return res.status(404).end();
  res.json({ queued: true, bucket: process.env.ATTACHMENTS_BUCKET });
});

app.listen(Number(process.env.PORT || 3000));
