<?php

use PHPUnit\Framework\TestCase;

final class MailpinGateTest extends TestCase
{
    private const NOW = 1765000000;
    private const USER = 'user01@example.test';
    private const PASSWORD = 'pa55-w0rd!';
    private const REFUSAL = 'Login refused: this Roundcube must be reached through the Mailpin gateway.';

    /** @var string[] */
    private array $log = [];

    public function testAuthenticateWithValidRouteSetsConstantMailHost(): void
    {
        $gate = $this->gate($this->header());

        $args = $gate->authenticate($this->login_args());

        $this->assertSame('mailpin', $args['host']);
        $this->assertSame(self::USER, $args['user']);
        $this->assertSame(self::PASSWORD, $args['pass']);
        $this->assertFalse($args['abort']);
        $this->assertNull($args['error']);
        $this->assertSame([], $this->log);
    }

    public function testAuthenticateKeepsRoundcubeChecksWithoutGatewayVerification(): void
    {
        $gate = $this->gate($this->header());

        $args = $gate->authenticate($this->login_args(['valid' => false]));

        $this->assertFalse($args['valid']);
        $this->assertTrue($args['cookiecheck']);
    }

    public function testAuthenticateGatewayVerifiedSkipsTokenAndCookieChecks(): void
    {
        $gate = $this->gate($this->header(['login' => 'gateway-verified']));

        $args = $gate->authenticate($this->login_args(['valid' => false]));

        $this->assertTrue($args['valid']);
        $this->assertFalse($args['cookiecheck']);
        $this->assertSame('mailpin', $args['host']);
        $this->assertFalse($args['abort']);
    }

    public function testAuthenticateUsesConfiguredMailHost(): void
    {
        $gate = $this->gate($this->header(), ['mailpin_mail_host' => 'cluster.internal']);

        $this->assertSame('cluster.internal', $gate->authenticate($this->login_args())['host']);
    }

    public function testMailHostStaysConstantWhenBackendChanges(): void
    {
        $first = $this->gate($this->header(['backend' => 'be1', 'host' => '127.0.0.11']));
        $second = $this->gate($this->header(['backend' => 'be2', 'host' => '127.0.0.12', 'imap' => 1143]));

        $first_args = $first->authenticate($this->login_args());
        $second_args = $second->authenticate($this->login_args());

        $this->assertSame('mailpin', $first_args['host']);
        $this->assertSame($first_args['host'], $second_args['host']);
        // The IMAP connection itself does follow the backend.
        $this->assertSame('127.0.0.11', $first->storage_connect($this->storage_args())['host']);
        $this->assertSame('127.0.0.12', $second->storage_connect($this->storage_args())['host']);
        $this->assertSame(1143, $second->storage_connect($this->storage_args())['port']);
    }

    public function testAuthenticateWithoutHeaderAborts(): void
    {
        $gate = $this->gate(null);

        $args = $gate->authenticate($this->login_args());

        $this->assertRefused($args);
        $this->assertLogged('login refused for user "user01@example.test": request header X-Mailpin-Route is missing');
    }

    public function testAuthenticateWithInvalidHeaderAborts(): void
    {
        $gate = $this->gate($this->header([], 'wrong-secret-0123456789abcdefghijklmnopqrstu'));

        $args = $gate->authenticate($this->login_args());

        $this->assertRefused($args);
        $this->assertLogged('request header X-Mailpin-Route is invalid: signature does not match the payload');
    }

    public function testAuthenticateWithExpiredHeaderAborts(): void
    {
        $gate = $this->gate($this->header([], route_signer::SECRET, self::NOW - 31));

        $this->assertRefused($gate->authenticate($this->login_args()));
        $this->assertLogged('header expired');
    }

    public function testAuthenticateForOtherUserAborts(): void
    {
        $gate = $this->gate($this->header(['user' => 'user02@example.test']));

        $args = $gate->authenticate($this->login_args());

        $this->assertRefused($args);
        $this->assertLogged('login refused for user "user01@example.test": request header X-Mailpin-Route is for user "user02@example.test"');
    }

    public function testAuthenticateWithInvalidSettingsAborts(): void
    {
        $gate = new mailpin_gate(
            null,
            'mailpin_secret is empty',
            $this->header(),
            self::NOW,
            fn (string $message) => $this->log[] = $message,
            self::REFUSAL
        );

        $this->assertRefused($gate->authenticate($this->login_args()));
        $this->assertLogged('plugin configuration is invalid: mailpin_secret is empty');
    }

    public function testAuthenticateNeverLogsPasswordOrSecret(): void
    {
        $this->gate(null)->authenticate($this->login_args());
        $this->gate($this->header(['user' => 'x@example.test']))->authenticate($this->login_args());
        $this->gate('garbage.header')->authenticate($this->login_args());

        $this->assertCount(3, $this->log);
        foreach ($this->log as $line) {
            $this->assertStringNotContainsString(self::PASSWORD, $line);
            $this->assertStringNotContainsString(route_signer::SECRET, $line);
        }
    }

    public function testStorageConnectUsesRouteHostAndPort(): void
    {
        $gate = $this->gate($this->header(['host' => '127.0.0.12', 'imap' => 10143]));

        $args = $gate->storage_connect($this->storage_args());

        $this->assertSame('127.0.0.12', $args['host']);
        $this->assertSame(10143, $args['port']);
        $this->assertNull($args['ssl_mode']);
        $this->assertSame(self::USER, $args['user']);
        $this->assertArrayNotHasKey('break', $args);
    }

    /**
     * @dataProvider imapSchemeProvider
     */
    public function testStorageConnectUsesConfiguredScheme(string $scheme, ?string $ssl_mode): void
    {
        $gate = $this->gate($this->header(), ['mailpin_imap_scheme' => $scheme]);

        $this->assertSame($ssl_mode, $gate->storage_connect($this->storage_args())['ssl_mode']);
    }

    public static function imapSchemeProvider(): array
    {
        return [
            'plain' => ['', null],
            'starttls' => ['tls', 'tls'],
            'implicit tls' => ['ssl', 'ssl'],
        ];
    }

    public function testStorageConnectBracketsIpv6Host(): void
    {
        $gate = $this->gate($this->header(['host' => '::1']));

        $this->assertSame('[::1]', $gate->storage_connect($this->storage_args())['host']);
    }

    public function testStorageConnectWithoutRouteGetsEmptyHost(): void
    {
        $gate = $this->gate(null);

        $args = $gate->storage_connect($this->storage_args());

        $this->assertSame('', $args['host']);
        $this->assertTrue($args['break']);
        $this->assertLogged('IMAP connection refused for user "user01@example.test"');
    }

    public function testStorageConnectForOtherUserGetsEmptyHost(): void
    {
        $gate = $this->gate($this->header(['user' => 'user02@example.test']));

        $this->assertSame('', $gate->storage_connect($this->storage_args())['host']);
    }

    public function testStorageConnectWithoutImapServiceGetsEmptyHost(): void
    {
        $gate = $this->gate($this->header(['imap' => 0]));

        $this->assertSame('', $gate->storage_connect($this->storage_args())['host']);
        $this->assertLogged('backend "be1" has no IMAP port');
    }

    public function testSmtpConnectUsesRouteHostAndPort(): void
    {
        $gate = $this->gate($this->header(['host' => '127.0.0.12', 'smtp' => 10587]));

        $args = $gate->smtp_connect($this->smtp_args(), self::USER);

        $this->assertSame('tcp://127.0.0.12:10587', $args['smtp_host']);
        $this->assertSame('%u', $args['smtp_user']);
        $this->assertArrayNotHasKey('break', $args);
    }

    public function testSmtpConnectUsesConfiguredScheme(): void
    {
        $gate = $this->gate($this->header(['host' => '::1', 'smtp' => 465]), ['mailpin_smtp_scheme' => 'ssl']);

        $this->assertSame('ssl://[::1]:465', $gate->smtp_connect($this->smtp_args(), self::USER)['smtp_host']);
    }

    public function testSmtpConnectWithoutRouteGetsUnreachableSocket(): void
    {
        $gate = $this->gate(null);

        $args = $gate->smtp_connect($this->smtp_args(), self::USER);

        $this->assertSame(mailpin_endpoint::UNREACHABLE_SOCKET, $args['smtp_host']);
        $this->assertTrue($args['break']);
        $this->assertLogged('SMTP connection refused');
    }

    public function testSmtpConnectForOtherSessionUserGetsUnreachableSocket(): void
    {
        $gate = $this->gate($this->header());

        $args = $gate->smtp_connect($this->smtp_args(), 'user02@example.test');

        $this->assertSame(mailpin_endpoint::UNREACHABLE_SOCKET, $args['smtp_host']);
    }

    public function testSmtpConnectWithoutSmtpServiceGetsUnreachableSocket(): void
    {
        $gate = $this->gate($this->header(['smtp' => 0]));

        $this->assertSame(mailpin_endpoint::UNREACHABLE_SOCKET, $gate->smtp_connect($this->smtp_args(), self::USER)['smtp_host']);
    }

    public function testManagesieveConnectUsesRouteHostAndPort(): void
    {
        $gate = $this->gate($this->header(['host' => '127.0.0.12', 'sieve' => 14190]), ['mailpin_sieve_scheme' => 'tls']);

        $args = $gate->managesieve_connect($this->sieve_args());

        $this->assertSame('tls://127.0.0.12:14190', $args['host']);
        $this->assertSame(self::USER, $args['user']);
        $this->assertSame(self::PASSWORD, $args['password']);
    }

    public function testManagesieveConnectWithoutRouteGetsEmptyHost(): void
    {
        $gate = $this->gate(null);

        $args = $gate->managesieve_connect($this->sieve_args());

        $this->assertSame('', $args['host']);
        $this->assertTrue($args['break']);
    }

    public function testManagesieveConnectWithoutSieveServiceGetsEmptyHost(): void
    {
        $gate = $this->gate($this->header(['sieve' => 0]));

        $this->assertSame('', $gate->managesieve_connect($this->sieve_args())['host']);
        $this->assertLogged('backend "be1" has no ManageSieve port');
    }

    public function testConnectHooksFollowBackendOfEachRequest(): void
    {
        $before = $this->gate($this->header(['backend' => 'be1', 'host' => '127.0.0.11']));
        $after = $this->gate($this->header(['backend' => 'be2', 'host' => '127.0.0.12']));

        $this->assertSame('tcp://127.0.0.11:587', $before->smtp_connect($this->smtp_args(), self::USER)['smtp_host']);
        $this->assertSame('tcp://127.0.0.12:587', $after->smtp_connect($this->smtp_args(), self::USER)['smtp_host']);
        $this->assertSame('tcp://127.0.0.11:4190', $before->managesieve_connect($this->sieve_args())['host']);
        $this->assertSame('tcp://127.0.0.12:4190', $after->managesieve_connect($this->sieve_args())['host']);
    }

    public function testSessionAllowedForRouteUser(): void
    {
        $this->assertTrue($this->gate($this->header())->session_allowed(self::USER));
        $this->assertSame([], $this->log);
    }

    public function testSessionAllowedIgnoresUserCase(): void
    {
        $this->assertTrue($this->gate($this->header(['user' => 'User01@Example.test']))->session_allowed(self::USER));
    }

    public function testSessionRefusedWithoutHeader(): void
    {
        $this->assertFalse($this->gate(null)->session_allowed(self::USER));
        $this->assertLogged('session refused for user "user01@example.test": request header X-Mailpin-Route is missing');
    }

    public function testSessionRefusedForOtherUser(): void
    {
        $this->assertFalse($this->gate($this->header(['user' => 'user02@example.test']))->session_allowed(self::USER));
    }

    public function testHeaderIsVerifiedOncePerRequest(): void
    {
        $gate = $this->gate(null);

        $gate->session_allowed(self::USER);
        $gate->storage_connect($this->storage_args());

        $this->assertSame('request header X-Mailpin-Route is missing', $gate->route_error());
        $this->assertCount(2, $this->log);
    }

    public function testLoginErrorTextAfterRefusalIsRefusalMessage(): void
    {
        $gate = $this->gate(null);
        $gate->authenticate($this->login_args());

        $this->assertSame(self::REFUSAL, $gate->login_error_text('', 'Roundcube login error 1: invalid request', self::PASSWORD));
    }

    public function testLoginErrorTextUsesImapErrorAsOneLine(): void
    {
        $gate = $this->gate($this->header());
        $gate->authenticate($this->login_args());

        $text = $gate->login_error_text("Login failed:\r\nAUTHENTICATE PLAIN: [AUTHENTICATIONFAILED]  Authentication failed.", 'fallback', self::PASSWORD);

        $this->assertSame('Login failed: AUTHENTICATE PLAIN: [AUTHENTICATIONFAILED] Authentication failed.', $text);
    }

    public function testLoginErrorTextFallsBackToRoundcubeCode(): void
    {
        $gate = $this->gate($this->header());
        $gate->authenticate($this->login_args());

        $this->assertSame('Roundcube login error 3: cookies disabled', $gate->login_error_text('  ', 'Roundcube login error 3: cookies disabled', self::PASSWORD));
    }

    public function testLoginErrorTextRemovesPasswordAndLimitsLength(): void
    {
        $gate = $this->gate($this->header());

        $text = $gate->login_error_text('NO bad password ' . self::PASSWORD . ' ' . str_repeat('é', 300), 'fallback', self::PASSWORD);

        $this->assertStringNotContainsString(self::PASSWORD, $text);
        $this->assertStringStartsWith('NO bad password *** é', $text);
        $this->assertLessThanOrEqual(200, strlen($text));
        $this->assertTrue(mb_check_encoding($text, 'UTF-8'));
    }

    private function gate(?string $header, array $options = []): mailpin_gate
    {
        $options += ['mailpin_secret' => route_signer::SECRET];
        $settings = mailpin_settings::from_config(
            fn (string $name, mixed $default) => array_key_exists($name, $options) ? $options[$name] : $default
        );

        return new mailpin_gate(
            $settings,
            '',
            $header,
            self::NOW,
            fn (string $message) => $this->log[] = $message,
            self::REFUSAL
        );
    }

    private function header(array $changes = [], string $secret = route_signer::SECRET, int $ts = self::NOW): string
    {
        return route_signer::sign(route_signer::fields($changes, $ts), $secret);
    }

    /**
     * Returns the arguments that Roundcube 1.6 index.php passes to the 'authenticate' hook.
     */
    private function login_args(array $changes = []): array
    {
        return $changes + [
            'host' => 'localhost',
            'user' => self::USER,
            'pass' => self::PASSWORD,
            'valid' => true,
            'error' => null,
            'cookiecheck' => true,
            'abort' => false,
        ];
    }

    /**
     * Returns arguments like those rcube_imap::connect() passes to 'storage_connect' after login.
     */
    private function storage_args(): array
    {
        return [
            'host' => 'mailpin',
            'user' => self::USER,
            'port' => 143,
            'attempt' => 1,
            'retry' => false,
            'abort' => false,
        ];
    }

    private function smtp_args(): array
    {
        return [
            'smtp_host' => 'localhost:587',
            'smtp_user' => '%u',
            'smtp_pass' => '%p',
            'abort' => false,
        ];
    }

    private function sieve_args(): array
    {
        return [
            'user' => self::USER,
            'password' => self::PASSWORD,
            'host' => 'localhost',
            'abort' => false,
        ];
    }

    private function assertRefused(array $args): void
    {
        $this->assertFalse($args['valid']);
        $this->assertTrue($args['abort']);
        $this->assertSame(self::REFUSAL, $args['error']);
        $this->assertSame('localhost', $args['host'], 'a refused login must not get the mail host');
    }

    private function assertLogged(string $fragment): void
    {
        foreach ($this->log as $line) {
            if (str_contains($line, $fragment)) {
                $this->addToAssertionCount(1);

                return;
            }
        }

        $this->fail("no log line contains '$fragment'; lines: " . json_encode($this->log));
    }
}
