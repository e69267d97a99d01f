SERVICE := "fx-rates"
REGISTRY := registry.acme.internal
STAGE_CONTEXT := gke_acme-sandbox_europe-west4_fx-sand
STAGE_NAMESPACE := fx-stage
PROD_CONTEXT := gke_acme-prod_europe-west4_fx-live
PROD_NAMESPACE := fx-live
