#!/bin/sh
# Loads demo data into a developer's database.
RAILS_ENV=development ./bin/rails db:seed
