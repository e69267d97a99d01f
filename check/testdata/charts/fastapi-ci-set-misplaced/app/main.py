import os

from fastapi import FastAPI

app = FastAPI()
DATABASE_URL = os.environ["DATABASE_URL"]


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
