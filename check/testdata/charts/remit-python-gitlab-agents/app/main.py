import os

import psycopg
import redis
from fastapi import FastAPI

app = FastAPI(title="remit-api")

DB_DSN = "host={} port={} dbname={} user={} password={}".format(
    os.environ["DB_HOST"],
    os.environ.get("DB_PORT", "5432"),
    os.environ["DB_NAME"],
    os.environ["DB_USER"],
    os.environ["DB_PASSWORD"],
)
cache = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.get("/quotes/{corridor}")
def quote(corridor: str):
    cached = cache.get(f"quote:{corridor}")
    if cached:
        return {"corridor": corridor, "rate": float(cached)}
    with psycopg.connect(DB_DSN) as conn:
        row = conn.execute("select rate from quotes where corridor = %s", (corridor,)).fetchone()
    return {"corridor": corridor, "rate": row[0] if row else None}
