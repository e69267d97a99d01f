import os

from fastapi import FastAPI

app = FastAPI(title="reports")


@app.get("/healthz")
def healthz():
    return {"ok": True, "env": os.environ.get("REPORTS_ENV", "dev")}
