helm upgrade --install clanwars . \
    -f ./values.yaml \
    -f ./values-dev.yaml
