package fleet.tracker

fun main() {
    val url = System.getenv("POSITIONS_URL") ?: error("POSITIONS_URL is not set")
    println("tracking against $url")
}
