<?php

return [
    'default' => env('MAIL_MAILER', 'smtp'),
    'mailers' => [
        'smtp' => [
            'transport' => 'smtp',
            'host' => env('MAIL_HOST', '127.0.0.1'),
            'port' => env('MAIL_PORT', 2525),
            'username' => env('MAIL_USERNAME'),
            'password' => env('MAIL_PASSWORD'),
        ],
        'fallback' => [
            'transport' => 'smtp',
            'host' => env('SMTP_FALLBACK_HOST'),
            'port' => env('SMTP_FALLBACK_PORT', 587),
        ],
        'alerts' => [
            'transport' => 'smtp',
            'host' => env('ALERTS_RELAY_HOST'),
            'port' => env('ALERTS_RELAY_PORT', 2525),
        ],
    ],
    'from' => [
        'address' => env('MAIL_FROM_ADDRESS', 'hello@example.com'),
        'name' => env('MAIL_FROM_NAME', 'Hirewell Careers'),
    ],
];
