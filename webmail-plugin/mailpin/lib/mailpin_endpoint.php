<?php

/**
 * Formats backend addresses in the forms that Roundcube 1.6 connection hooks expect.
 */
final class mailpin_endpoint
{
    /**
     * Unix socket URI that can never exist, because /dev/null is not a directory.
     *
     * rcube_smtp replaces an empty smtp_host with 'localhost', so a refused SMTP connection
     * points here instead: the connect fails at once with ENOTDIR and sends nothing.
     */
    public const UNREACHABLE_SOCKET = 'unix:///dev/null/mailpin-no-route';

    /**
     * Returns the host part for a socket address, with an IPv6 address in brackets.
     */
    public static function socket_host(string $ip): string
    {
        return str_contains($ip, ':') ? "[$ip]" : $ip;
    }

    /**
     * Builds a host URI such as "tls://127.0.0.11:587" for rcube_utils::parse_host_uri().
     *
     * A plain connection gets the scheme "tcp", which rcube_smtp and the managesieve plugin
     * treat as plain TCP. Without a scheme PHP's parse_url() cannot split "[::1]:587".
     *
     * @param string $scheme '' (plain), 'tls' (STARTTLS) or 'ssl' (TLS from the first byte)
     */
    public static function uri(string $ip, int $port, string $scheme): string
    {
        $prefix = ($scheme === '' ? 'tcp' : $scheme) . '://';

        return $prefix . self::socket_host($ip) . ':' . $port;
    }
}
