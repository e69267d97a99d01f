const express = require("express");

const app = express();
const table = process.env.INCIDENT_TABLE;
const bucket = process.env.EVIDENCE_BUCKET;

app.get("/healthz", (_req, res) => res.send("ok"));
app.get("/incidents", (_req, res) => res.json({ table, bucket }));
app.listen(Number(process.env.PORT || 8080));
