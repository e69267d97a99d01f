import os

from fastapi import FastAPI

app = FastAPI()
PORT = int(os.environ.get("PORT", "8000"))


@app.get("/healthz")
def healthz():
    return {"ok": True}
