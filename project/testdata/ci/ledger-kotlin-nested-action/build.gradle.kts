plugins {
    kotlin("jvm") version "2.0.21"
    id("io.ktor.plugin") version "3.0.1"
}

application {
    mainClass.set("com.acme.ledger.ApplicationKt")
}
