import configparser

config = configparser.ConfigParser()
config.read("/etc/worker/worker.ini")
DB_HOST = config["db"]["host"]
