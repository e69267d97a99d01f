import os

from celery import Celery

app = Celery("ledger", broker=os.environ["CELERY_BROKER_URL"])
app.conf.worker_hijack_root_logger = os.environ.get("DEBUG", "false").lower() != "true"


@app.task
def reconcile(account_id: str) -> None:
    print("reconciling", account_id)
