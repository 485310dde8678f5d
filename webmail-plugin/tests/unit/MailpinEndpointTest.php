<?php

use PHPUnit\Framework\TestCase;

final class MailpinEndpointTest extends TestCase
{
    public function testIpv4HostIsUnchanged(): void
    {
        $this->assertSame('127.0.0.11', mailpin_endpoint::socket_host('127.0.0.11'));
    }

    public function testIpv6HostIsBracketed(): void
    {
        $this->assertSame('[fd00::11]', mailpin_endpoint::socket_host('fd00::11'));
    }

    /**
     * @dataProvider uriProvider
     */
    public function testUriKeepsHostSchemeAndPort(string $ip, int $port, string $scheme, string $uri): void
    {
        $this->assertSame($uri, mailpin_endpoint::uri($ip, $port, $scheme));
    }

    public static function uriProvider(): array
    {
        return [
            'plain ipv4' => ['127.0.0.11', 587, '', 'tcp://127.0.0.11:587'],
            'starttls ipv4' => ['127.0.0.11', 4190, 'tls', 'tls://127.0.0.11:4190'],
            'implicit tls ipv6' => ['::1', 465, 'ssl', 'ssl://[::1]:465'],
        ];
    }

    /**
     * The URIs must split the way rcube_utils::parse_host_uri() in Roundcube 1.6 splits them,
     * which is parse_url() plus the scheme.
     */
    public function testUriIsSplitByParseUrl(): void
    {
        $parts = parse_url(mailpin_endpoint::uri('::1', 4190, ''));

        $this->assertSame('tcp', $parts['scheme']);
        $this->assertSame('[::1]', $parts['host']);
        $this->assertSame(4190, $parts['port']);
    }
}
