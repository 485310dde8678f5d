<?php

use PHPUnit\Framework\TestCase;

final class MailpinSettingsTest extends TestCase
{
    private const SECRET = 'inline-secret-0123456789abcdefghijklmnop';

    private array $temp_files = [];

    protected function tearDown(): void
    {
        foreach ($this->temp_files as $file) {
            if (is_file($file)) {
                chmod($file, 0600);
                unlink($file);
            }
        }
    }

    public function testDefaultsApplyWhenOnlySecretIsSet(): void
    {
        $settings = $this->settings(['mailpin_secret' => self::SECRET]);

        $this->assertSame(self::SECRET, $settings->secret);
        $this->assertSame(30, $settings->max_age);
        $this->assertSame('mailpin', $settings->mail_host);
        $this->assertSame('X-Mailpin-Route', $settings->header_name);
        $this->assertSame('', $settings->imap_scheme);
        $this->assertSame('', $settings->smtp_scheme);
        $this->assertSame('', $settings->sieve_scheme);
    }

    public function testAllOptionsAreRead(): void
    {
        $settings = $this->settings([
            'mailpin_secret' => self::SECRET,
            'mailpin_max_age' => 10,
            'mailpin_mail_host' => 'mail.cluster',
            'mailpin_header' => 'X-Route',
            'mailpin_imap_scheme' => 'tls',
            'mailpin_smtp_scheme' => 'ssl',
            'mailpin_sieve_scheme' => 'tls',
        ]);

        $this->assertSame(10, $settings->max_age);
        $this->assertSame('mail.cluster', $settings->mail_host);
        $this->assertSame('X-Route', $settings->header_name);
        $this->assertSame('tls', $settings->imap_scheme);
        $this->assertSame('ssl', $settings->smtp_scheme);
        $this->assertSame('tls', $settings->sieve_scheme);
    }

    public function testInlineSecretIsTrimmed(): void
    {
        $settings = $this->settings(['mailpin_secret' => "  " . self::SECRET . "\n"]);

        $this->assertSame(self::SECRET, $settings->secret);
    }

    public function testSecretFileWinsAndIsTrimmed(): void
    {
        $file = $this->temp_file("file-secret-0123456789abcdefghijklmnopq\n");

        $settings = $this->settings(['mailpin_secret' => self::SECRET, 'mailpin_secret_file' => $file]);

        $this->assertSame('file-secret-0123456789abcdefghijklmnopq', $settings->secret);
    }

    public function testMissingSecretFileIsAnError(): void
    {
        $this->assertInvalid(
            ['mailpin_secret' => self::SECRET, 'mailpin_secret_file' => '/nonexistent/mailpin/secret'],
            'mailpin_secret_file /nonexistent/mailpin/secret is missing or not readable'
        );
    }

    public function testEmptySecretIsAnError(): void
    {
        $this->assertInvalid([], 'the secret from mailpin_secret is 0 bytes long');
    }

    public function testShortSecretIsAnErrorWithoutRevealingIt(): void
    {
        try {
            $this->settings(['mailpin_secret' => 'short-secret-value']);
        } catch (mailpin_settings_error $e) {
            $this->assertStringContainsString('18 bytes long, but it must be at least 32 bytes', $e->getMessage());
            $this->assertStringNotContainsString('short-secret-value', $e->getMessage());

            return;
        }

        $this->fail('a secret shorter than 32 bytes was accepted');
    }

    public function testShortSecretFileIsAnError(): void
    {
        $file = $this->temp_file("too-short\n");

        $this->assertInvalid(['mailpin_secret_file' => $file], "mailpin_secret_file $file is 9 bytes long");
    }

    /**
     * @dataProvider invalidOptionProvider
     */
    public function testInvalidOptionIsAnError(string $option, mixed $value): void
    {
        $this->assertInvalid(['mailpin_secret' => self::SECRET, $option => $value], $option);
    }

    public static function invalidOptionProvider(): array
    {
        return [
            'max age zero' => ['mailpin_max_age', 0],
            'max age as string' => ['mailpin_max_age', '30'],
            'mail host with port' => ['mailpin_mail_host', 'mailpin:143'],
            'mail host with scheme' => ['mailpin_mail_host', 'ssl://mailpin'],
            'mail host with placeholder' => ['mailpin_mail_host', '%n'],
            'empty mail host' => ['mailpin_mail_host', ''],
            'header with colon' => ['mailpin_header', 'X-Route:'],
            'empty header' => ['mailpin_header', ''],
            'unknown imap scheme' => ['mailpin_imap_scheme', 'imaps'],
            'unknown smtp scheme' => ['mailpin_smtp_scheme', 'starttls'],
            'sieve scheme as boolean' => ['mailpin_sieve_scheme', true],
            'secret as array' => ['mailpin_secret', ['x']],
        ];
    }

    public function testNullSchemeMeansPlain(): void
    {
        $settings = $this->settings(['mailpin_secret' => self::SECRET, 'mailpin_imap_scheme' => null]);

        $this->assertSame('', $settings->imap_scheme);
    }

    private function settings(array $options): mailpin_settings
    {
        return mailpin_settings::from_config(
            fn (string $name, mixed $default) => array_key_exists($name, $options) ? $options[$name] : $default
        );
    }

    private function assertInvalid(array $options, string $message): void
    {
        try {
            $this->settings($options);
        } catch (mailpin_settings_error $e) {
            $this->assertStringContainsString($message, $e->getMessage());

            return;
        }

        $this->fail("options were accepted, expected an error containing '$message'");
    }

    private function temp_file(string $content): string
    {
        $file = tempnam(sys_get_temp_dir(), 'mailpin-secret-');
        file_put_contents($file, $content);
        $this->temp_files[] = $file;

        return $file;
    }
}
