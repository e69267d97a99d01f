plugins {
    kotlin("jvm") version "1.9.24"
    id("org.springframework.boot") version "3.2.5"
}

dependencies {
    implementation("org.springframework.boot:spring-boot-starter-data-mongodb")
    implementation("io.awspring.cloud:spring-cloud-aws-starter-sqs:3.1.1")
}
