import os
from flask import Flask

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["JWT_SECRET"]


@app.get("/healthz")
def healthz():
    return {"ok": True}
