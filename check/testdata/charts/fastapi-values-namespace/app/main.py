import os

from fastapi import FastAPI

app = FastAPI(title="catalog")
DB_HOST = os.environ["DB_HOST"]
REDIS_HOST = os.environ.get("REDIS_HOST", "localhost")


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}
