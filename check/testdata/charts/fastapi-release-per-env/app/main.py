import os
from fastapi import FastAPI

app = FastAPI(root_path=os.environ.get("PUBLIC_BASE_PATH", ""))
