rootProject.name = "fleet"
include("services:tracker", "services:dispatch")
