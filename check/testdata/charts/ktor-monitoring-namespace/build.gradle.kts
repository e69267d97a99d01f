plugins { kotlin("jvm") version "1.9.24" }
dependencies { implementation("io.ktor:ktor-server-netty:2.3.11") }
