rootProject.name = "tidewater"
include("services:orders", "services:billing", "services:catalog")
