plugins {
    kotlin("jvm") version "1.9.24"
    id("org.springframework.boot") version "3.2.5"
}

group = "org.example.vitals"
version = "2.4.0"
