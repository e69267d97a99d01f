import os

import redis
from fastapi import FastAPI

app = FastAPI()
cache = redis.Redis(host=os.environ["REDIS_HOST"], port=int(os.getenv("REDIS_PORT", "6379")))


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}
