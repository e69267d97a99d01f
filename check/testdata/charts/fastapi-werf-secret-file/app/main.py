import os

from fastapi import FastAPI

app = FastAPI()
SIGNING_KEY_PATH = os.environ.get("SIGNING_KEY_PATH", "/etc/invoices/signing.pem")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
