import os

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DB_HOST"],
        "PASSWORD": os.environ["DB_PASSWORD"],
    }
}
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
