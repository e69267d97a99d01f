import os

import pymongo


def main() -> None:
    client = pymongo.MongoClient(os.environ["ATLAS_URI"])
    orders = client.get_default_database()["orders"]
    print("orders today:", orders.count_documents({}))


if __name__ == "__main__":
    main()
