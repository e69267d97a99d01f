const express = require("express");
const { Pool } = require("pg");

const pool = new Pool({
  host: process.env.DB_HOST,
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database: process.env.DB_NAME,
});

const app = express();
app.get("/healthz", (_req, res) => res.send("ok"));
app.get("/orders", async (_req, res) => {
  const { rows } = await pool.query("select id, total from orders limit 50");
  res.json(rows);
});
app.listen(process.env.PORT || 3000);
