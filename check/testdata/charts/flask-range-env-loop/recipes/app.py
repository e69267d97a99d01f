import os

import psycopg
from flask import Flask, jsonify

app = Flask(__name__)
app.config["DEBUG"] = os.environ.get("DEBUG", "false").lower() == "true"


def db():
    return psycopg.connect(
        host=os.environ["DATABASE_HOST"],
        dbname=os.environ.get("DATABASE_NAME", "recipes"),
        user=os.environ.get("DATABASE_USER", "recipes"),
        password=os.environ["DATABASE_PASSWORD"],
    )


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/recipes")
def recipes():
    with db() as conn:
        rows = conn.execute("select id, title from recipes order by id limit 50").fetchall()
    return jsonify([{"id": r[0], "title": r[1]} for r in rows])
