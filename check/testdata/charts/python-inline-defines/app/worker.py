import os
from celery import Celery

app = Celery("ingest", broker=os.environ["BROKER_URL"])
