plugins {
    id("org.springframework.boot") version "3.3.4"
    kotlin("jvm") version "2.0.20"
    kotlin("plugin.spring") version "2.0.20"
}

group = "net.acme"
version = "2.3.1"
