<?php

// Verifies an X-Mailpin-Route value with the Roundcube plugin's own mailpin_route class and
// prints the outcome as one JSON object. RouteHeaderTest runs it to check that the gateway
// and the plugin agree on the header format.
//
// Environment: MAILPIN_PLUGIN_LIB (the plugin's lib folder), MAILPIN_ROUTE (the header value),
// MAILPIN_SECRET (the shared secret), MAILPIN_NOW (the plugin's clock, Unix seconds) and
// MAILPIN_MAX_AGE (seconds).
// Exit status: 0 when the plugin accepts the header, 1 when it rejects it, 2 on a usage error.

declare(strict_types=1);

$lib = getenv('MAILPIN_PLUGIN_LIB');
$files = is_string($lib) ? glob($lib . '/*.php') : false;
if ($files === false || $files === []) {
    fwrite(STDERR, "MAILPIN_PLUGIN_LIB must name the plugin's lib folder\n");
    exit(2);
}
foreach ($files as $file) {
    require_once $file;
}

try {
    $route = mailpin_route::verify(
        (string) getenv('MAILPIN_ROUTE'),
        (string) getenv('MAILPIN_SECRET'),
        (int) getenv('MAILPIN_MAX_AGE'),
        (int) getenv('MAILPIN_NOW')
    );
} catch (mailpin_route_error $e) {
    echo json_encode(['accepted' => false, 'error' => $e->getMessage()]), "\n";
    exit(1);
}

echo json_encode([
    'accepted' => true,
    'user' => $route->user,
    'backend' => $route->backend,
    'host' => $route->host,
    'imap' => $route->imap_port,
    'smtp' => $route->smtp_port,
    'sieve' => $route->sieve_port,
    'ts' => $route->signed_at,
    'gateway_verified' => $route->is_gateway_verified_login(),
], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
exit(0);
