<?php

/**
 * Builds X-Mailpin-Route header values the way the gateway does, for tests.
 */
final class route_signer
{
    public const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

    /**
     * Returns the payload fields of a valid route for user01 on backend be1, merged with $changes.
     * A value of null in $changes removes that field.
     */
    public static function fields(array $changes = [], ?int $ts = null): array
    {
        $fields = [
            'v' => 1,
            'user' => 'user01@example.test',
            'backend' => 'be1',
            'host' => '127.0.0.11',
            'imap' => 143,
            'smtp' => 587,
            'sieve' => 4190,
            'ts' => $ts ?? time(),
        ];

        foreach ($changes as $name => $value) {
            if ($value === null) {
                unset($fields[$name]);
            } else {
                $fields[$name] = $value;
            }
        }

        return $fields;
    }

    /**
     * Signs the JSON encoding of $fields.
     */
    public static function sign(array $fields, string $secret = self::SECRET): string
    {
        return self::sign_json(json_encode($fields, JSON_UNESCAPED_SLASHES), $secret);
    }

    /**
     * Signs any text as the payload, so tests can sign malformed JSON.
     */
    public static function sign_json(string $json, string $secret = self::SECRET): string
    {
        return self::sign_payload(mailpin_route::base64url_encode($json), $secret);
    }

    /**
     * Signs an already encoded payload, so tests can sign malformed base64url.
     */
    public static function sign_payload(string $payload, string $secret = self::SECRET): string
    {
        return $payload . '.' . mailpin_route::base64url_encode(hash_hmac('sha256', $payload, $secret, true));
    }
}
