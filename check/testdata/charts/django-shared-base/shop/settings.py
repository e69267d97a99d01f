import os

APP_BASE_URL = os.environ.get("APP_BASE_URL", "")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DB_HOST"],
        "NAME": os.environ.get("DB_NAME", "shop"),
    }
}
