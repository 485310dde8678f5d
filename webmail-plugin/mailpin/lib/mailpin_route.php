<?php

require_once __DIR__ . '/mailpin_route_error.php';

/**
 * A verified X-Mailpin-Route header: the backend that the gateway chose for one user.
 *
 * The header value is PAYLOAD.SIGNATURE. PAYLOAD is the unpadded base64url encoding of a JSON
 * object and SIGNATURE is the unpadded base64url encoding of HMAC-SHA256(secret, PAYLOAD).
 * docs/gateway-plugin-protocol.md in the Mailpin repository is the full contract.
 *
 * The class uses no Roundcube code, so PHPUnit can test it directly.
 */
final class mailpin_route
{
    public const VERSION = 1;
    public const LOGIN_GATEWAY_VERIFIED = 'gateway-verified';

    /** Maximum header value length, in bytes. A real route is about 250 bytes long. */
    public const MAX_HEADER_LENGTH = 4096;

    private const BASE64URL_PATTERN = '/^[A-Za-z0-9_-]+$/';

    private function __construct(
        public readonly string $user,
        public readonly string $backend,
        public readonly string $host,
        public readonly int $imap_port,
        public readonly int $smtp_port,
        public readonly int $sieve_port,
        public readonly int $signed_at,
        public readonly ?string $login
    ) {
    }

    /**
     * Verifies the signature and age of a header value and decodes its payload.
     *
     * The signature is checked (in constant time) before the payload is decoded. The header is
     * accepted when ts is at most $max_age seconds away from $now, in either direction.
     *
     * @throws mailpin_route_error when the value is malformed, wrongly signed, expired, from
     *                             the future or lacks a field
     */
    public static function verify(string $header_value, string $secret, int $max_age, int $now): self
    {
        if ($secret === '') {
            throw new mailpin_route_error('no shared secret is configured');
        }

        $header_value = trim($header_value);
        if ($header_value === '') {
            throw new mailpin_route_error('header is empty');
        }
        if (strlen($header_value) > self::MAX_HEADER_LENGTH) {
            throw new mailpin_route_error(sprintf(
                'header is %d bytes, more than the maximum of %d',
                strlen($header_value),
                self::MAX_HEADER_LENGTH
            ));
        }

        $parts = explode('.', $header_value);
        if (count($parts) !== 2) {
            throw new mailpin_route_error('header is not of the form PAYLOAD.SIGNATURE');
        }

        [$payload, $signature] = $parts;
        if (!preg_match(self::BASE64URL_PATTERN, $payload) || !preg_match(self::BASE64URL_PATTERN, $signature)) {
            throw new mailpin_route_error('payload or signature is not unpadded base64url');
        }

        $expected = self::base64url_encode(hash_hmac('sha256', $payload, $secret, true));
        if (!hash_equals($expected, $signature)) {
            throw new mailpin_route_error(
                'signature does not match the payload, so the gateway and this plugin may use different secrets'
            );
        }

        $route = self::from_fields(self::decode_payload($payload));

        $age = $now - $route->signed_at;
        if ($age > $max_age) {
            throw new mailpin_route_error(sprintf(
                'header expired: signed %d s ago, maximum age is %d s',
                $age,
                $max_age
            ));
        }
        if (-$age > $max_age) {
            throw new mailpin_route_error(sprintf(
                'header is from the future: signed %d s ahead of this clock, maximum skew is %d s',
                -$age,
                $max_age
            ));
        }

        return $route;
    }

    /**
     * Encodes bytes as base64url without padding (RFC 4648, section 5).
     */
    public static function base64url_encode(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    /**
     * Tells whether this route is for $user.
     *
     * The comparison ignores case because Roundcube lowercases login names by default
     * (option login_lc = 2), so the name it stores may differ in case from the gateway's.
     */
    public function is_for_user(string $user): bool
    {
        if ($user === $this->user) {
            return true;
        }

        return $user !== '' && mb_strtolower($user, 'UTF-8') === mb_strtolower($this->user, 'UTF-8');
    }

    public function is_gateway_verified_login(): bool
    {
        return $this->login === self::LOGIN_GATEWAY_VERIFIED;
    }

    /**
     * Decodes the payload into a JSON object as an associative array.
     */
    private static function decode_payload(string $payload): array
    {
        $padded = strtr($payload, '-_', '+/');
        $padded .= str_repeat('=', (4 - strlen($padded) % 4) % 4);

        $json = base64_decode($padded, true);
        if ($json === false) {
            throw new mailpin_route_error('payload is not valid base64url');
        }

        try {
            $fields = json_decode($json, true, 4, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw new mailpin_route_error('payload is not valid JSON: ' . $e->getMessage());
        }

        if (!is_array($fields) || array_is_list($fields)) {
            throw new mailpin_route_error('payload is not a JSON object');
        }

        return $fields;
    }

    /**
     * Validates the decoded fields and builds the route.
     */
    private static function from_fields(array $fields): self
    {
        $version = $fields['v'] ?? null;
        if ($version !== self::VERSION) {
            throw new mailpin_route_error(sprintf(
                'field v is %s, expected %d',
                json_encode($version),
                self::VERSION
            ));
        }

        $user = self::required_string($fields, 'user');
        $backend = self::required_string($fields, 'backend');
        $host = self::required_string($fields, 'host');
        if (filter_var($host, FILTER_VALIDATE_IP) === false) {
            throw new mailpin_route_error(sprintf('field host is not an IP address: %s', json_encode($host)));
        }

        $login = null;
        if (array_key_exists('login', $fields)) {
            $login = $fields['login'];
            if ($login !== self::LOGIN_GATEWAY_VERIFIED) {
                throw new mailpin_route_error(sprintf(
                    'field login is %s, expected "%s" or no field',
                    json_encode($login),
                    self::LOGIN_GATEWAY_VERIFIED
                ));
            }
        }

        $signed_at = $fields['ts'] ?? null;
        if (!is_int($signed_at)) {
            throw new mailpin_route_error('field ts is missing or not an integer');
        }

        return new self(
            $user,
            $backend,
            $host,
            self::required_port($fields, 'imap'),
            self::required_port($fields, 'smtp'),
            self::required_port($fields, 'sieve'),
            $signed_at,
            $login
        );
    }

    private static function required_string(array $fields, string $name): string
    {
        $value = $fields[$name] ?? null;
        if (!is_string($value) || $value === '') {
            throw new mailpin_route_error("field $name is missing or not a non-empty string");
        }

        return $value;
    }

    /**
     * Returns a port field, where 0 means that the backend has no such service.
     */
    private static function required_port(array $fields, string $name): int
    {
        $value = $fields[$name] ?? null;
        if (!is_int($value) || $value < 0 || $value > 65535) {
            throw new mailpin_route_error("field $name is missing or not a port number from 0 to 65535");
        }

        return $value;
    }
}
