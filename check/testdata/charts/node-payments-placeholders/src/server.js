const express = require('express');
const { Sequelize } = require('sequelize');

const db = new Sequelize(process.env.DATABASE_NAME, process.env.DATABASE_USER, process.env.DATABASE_PASSWORD, {
  host: process.env.DATABASE_HOST,
  port: Number(process.env.DATABASE_PORT || 5432),
  dialect: process.env.DB_DIALECT || 'postgres',
});

const app = express();
app.get('/healthz', (_req, res) => res.send('ok'));
app.listen(Number(process.env.HTTP_PORT || 8000));
module.exports = { app, db };
