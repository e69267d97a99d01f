const express = require("express");
const app = express();
const issuer = process.env.OIDC_ISSUER_URL;
const clientId = process.env.OIDC_CLIENT_ID;
app.get("/healthz", (_req, res) => res.json({ ok: true, issuer: Boolean(issuer), clientId }));
app.listen(Number(process.env.PORT || 3000));
