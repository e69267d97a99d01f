import os
from flask import Flask

app = Flask(__name__)
app.config["OIDC_ISSUER"] = os.environ.get("OIDC_ISSUER", "")
app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
