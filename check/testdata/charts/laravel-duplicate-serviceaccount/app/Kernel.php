<?php

namespace App;

// The storefront's HTTP kernel; configuration comes from the environment.
final class Kernel
{
    public function port(): int
    {
        return (int) (getenv('APP_PORT') ?: 8080);
    }
}
