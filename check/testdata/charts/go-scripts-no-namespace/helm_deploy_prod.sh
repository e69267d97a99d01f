helm upgrade --install clanwars . \
    -f ./values.yaml \
    -f ./values-prod.yaml
