<?php

use PHPUnit\Framework\TestCase;

final class MailpinRouteTest extends TestCase
{
    private const NOW = 1765000000;
    private const MAX_AGE = 30;

    public function testValidSignatureDecodesAllFields(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW));

        $route = $this->verify($header);

        $this->assertSame('user01@example.test', $route->user);
        $this->assertSame('be1', $route->backend);
        $this->assertSame('127.0.0.11', $route->host);
        $this->assertSame(143, $route->imap_port);
        $this->assertSame(587, $route->smtp_port);
        $this->assertSame(4190, $route->sieve_port);
        $this->assertSame(self::NOW, $route->signed_at);
        $this->assertNull($route->login);
        $this->assertFalse($route->is_gateway_verified_login());
    }

    public function testGatewayVerifiedLoginIsRecognized(): void
    {
        $header = route_signer::sign(route_signer::fields(['login' => 'gateway-verified'], self::NOW));

        $route = $this->verify($header);

        $this->assertSame('gateway-verified', $route->login);
        $this->assertTrue($route->is_gateway_verified_login());
    }

    public function testIpv6HostIsAccepted(): void
    {
        $route = $this->verify(route_signer::sign(route_signer::fields(['host' => '::1'], self::NOW)));

        $this->assertSame('::1', $route->host);
    }

    public function testSurroundingWhitespaceIsIgnored(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW));

        $this->assertSame('be1', $this->verify("  $header\t")->backend);
    }

    public function testUnknownExtraFieldIsIgnored(): void
    {
        $header = route_signer::sign(route_signer::fields(['weight' => 3], self::NOW));

        $this->assertSame('be1', $this->verify($header)->backend);
    }

    public function testTamperedPayloadIsRejected(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW));
        [, $signature] = explode('.', $header);
        $forged_payload = mailpin_route::base64url_encode(
            json_encode(route_signer::fields(['host' => '127.0.0.12'], self::NOW))
        );

        $this->assertRejected("$forged_payload.$signature", 'signature does not match');
    }

    public function testTamperedSignatureIsRejected(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW));
        $last = substr($header, -1);
        $tampered = substr($header, 0, -1) . ($last === 'A' ? 'B' : 'A');

        $this->assertRejected($tampered, 'signature does not match');
    }

    public function testTruncatedSignatureIsRejected(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW));

        $this->assertRejected(substr($header, 0, -2), 'signature does not match');
    }

    public function testWrongSecretIsRejected(): void
    {
        $header = route_signer::sign(
            route_signer::fields([], self::NOW),
            'another-secret-0123456789abcdefghijklmnopqrstuvwxyz'
        );

        $this->assertRejected($header, 'signature does not match');
    }

    public function testEmptySecretRejectsEverything(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW), '');

        $this->expectException(mailpin_route_error::class);
        $this->expectExceptionMessage('no shared secret');
        mailpin_route::verify($header, '', self::MAX_AGE, self::NOW);
    }

    public function testExpiredTimestampIsRejected(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW - self::MAX_AGE - 1));

        $this->assertRejected($header, 'expired');
    }

    public function testFutureTimestampIsRejected(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW + self::MAX_AGE + 1));

        $this->assertRejected($header, 'from the future');
    }

    public function testTimestampAtMaxAgeIsAccepted(): void
    {
        $old = route_signer::sign(route_signer::fields([], self::NOW - self::MAX_AGE));
        $ahead = route_signer::sign(route_signer::fields([], self::NOW + self::MAX_AGE));

        $this->assertSame(self::NOW - self::MAX_AGE, $this->verify($old)->signed_at);
        $this->assertSame(self::NOW + self::MAX_AGE, $this->verify($ahead)->signed_at);
    }

    /**
     * @dataProvider requiredFieldProvider
     */
    public function testMissingFieldIsRejected(string $field): void
    {
        $header = route_signer::sign(route_signer::fields([$field => null], self::NOW));

        $this->assertRejected($header, "field $field");
    }

    public static function requiredFieldProvider(): array
    {
        $fields = ['v', 'user', 'backend', 'host', 'imap', 'smtp', 'sieve', 'ts'];

        return array_combine($fields, array_map(fn (string $field) => [$field], $fields));
    }

    /**
     * @dataProvider invalidFieldProvider
     */
    public function testInvalidFieldValueIsRejected(string $field, mixed $value): void
    {
        $header = route_signer::sign(route_signer::fields([$field => $value], self::NOW));

        $this->assertRejected($header, "field $field");
    }

    public static function invalidFieldProvider(): array
    {
        return [
            'version 2' => ['v', 2],
            'version as string' => ['v', '1'],
            'empty user' => ['user', ''],
            'user as number' => ['user', 42],
            'empty backend' => ['backend', ''],
            'host name instead of IP' => ['host', 'be1.example.test'],
            'host with port' => ['host', '127.0.0.11:143'],
            'negative port' => ['imap', -1],
            'port above 65535' => ['smtp', 65536],
            'port as string' => ['sieve', '4190'],
            'port as float' => ['imap', 143.5],
            'ts as string' => ['ts', (string) self::NOW],
            'unknown login value' => ['login', 'trusted'],
            'login as boolean' => ['login', true],
        ];
    }

    public function testZeroPortMeansNoServiceAndIsAccepted(): void
    {
        $header = route_signer::sign(route_signer::fields(['sieve' => 0], self::NOW));

        $this->assertSame(0, $this->verify($header)->sieve_port);
    }

    public function testMalformedBase64PayloadIsRejected(): void
    {
        // One base64 character alone cannot encode a whole byte.
        $this->assertRejected(route_signer::sign_payload('A'), 'not valid base64url');
    }

    public function testPaddedBase64IsRejected(): void
    {
        $header = route_signer::sign(route_signer::fields([], self::NOW));
        [$payload, $signature] = explode('.', $header);

        $this->assertRejected("$payload==.$signature", 'not unpadded base64url');
    }

    public function testStandardBase64AlphabetIsRejected(): void
    {
        $this->assertRejected('ab+c.de/f', 'not unpadded base64url');
    }

    public function testMalformedJsonIsRejected(): void
    {
        $this->assertRejected(route_signer::sign_json('{"v":1,"user":'), 'not valid JSON');
    }

    public function testJsonArrayIsRejected(): void
    {
        $this->assertRejected(route_signer::sign_json('[1,2,3]'), 'not a JSON object');
    }

    public function testJsonScalarIsRejected(): void
    {
        $this->assertRejected(route_signer::sign_json('"route"'), 'not a JSON object');
    }

    /**
     * @dataProvider malformedHeaderProvider
     */
    public function testMalformedHeaderIsRejected(string $header, string $reason): void
    {
        $this->assertRejected($header, $reason);
    }

    public static function malformedHeaderProvider(): array
    {
        return [
            'empty' => ['', 'empty'],
            'whitespace only' => ['   ', 'empty'],
            'no dot' => ['abcdef', 'PAYLOAD.SIGNATURE'],
            'three parts' => ['a.b.c', 'PAYLOAD.SIGNATURE'],
            'empty signature' => ['abc.', 'not unpadded base64url'],
            'empty payload' => ['.abc', 'not unpadded base64url'],
            'too long' => [str_repeat('a', mailpin_route::MAX_HEADER_LENGTH) . '.b', 'maximum'],
        ];
    }

    public function testRouteMatchesOwnUser(): void
    {
        $route = $this->verify(route_signer::sign(route_signer::fields([], self::NOW)));

        $this->assertTrue($route->is_for_user('user01@example.test'));
    }

    public function testRouteMatchesUserIgnoringCase(): void
    {
        $route = $this->verify(route_signer::sign(route_signer::fields([], self::NOW)));

        $this->assertTrue($route->is_for_user('User01@Example.TEST'));
    }

    public function testRouteDoesNotMatchOtherUser(): void
    {
        $route = $this->verify(route_signer::sign(route_signer::fields([], self::NOW)));

        $this->assertFalse($route->is_for_user('user02@example.test'));
        $this->assertFalse($route->is_for_user('user01'));
        $this->assertFalse($route->is_for_user(''));
    }

    private function verify(string $header): mailpin_route
    {
        return mailpin_route::verify($header, route_signer::SECRET, self::MAX_AGE, self::NOW);
    }

    private function assertRejected(string $header, string $reason): void
    {
        try {
            $this->verify($header);
        } catch (mailpin_route_error $e) {
            $this->assertStringContainsString($reason, $e->getMessage());
            $this->assertStringNotContainsString(route_signer::SECRET, $e->getMessage());

            return;
        }

        $this->fail("header was accepted, expected rejection with '$reason'");
    }
}
