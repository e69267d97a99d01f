import os

# The service fills each slot in as it sends the mail.
RESET_URL = os.environ["PASSWORD_RESET_URL"]


def reset_link(token: str) -> str:
    return RESET_URL.format(token=token)
