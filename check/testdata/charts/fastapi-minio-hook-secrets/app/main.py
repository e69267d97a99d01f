import os
from fastapi import FastAPI
from minio import Minio

app = FastAPI()
store = Minio(os.environ["MINIO_ENDPOINT"], access_key=os.environ["MINIO_ACCESS_KEY_ID"],
              secret_key=os.environ["MINIO_SECRET_ACCESS_KEY"], secure=False)
