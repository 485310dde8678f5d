<?php

require_once __DIR__ . '/mailpin_settings_error.php';

/**
 * The plugin's validated options. config.inc.php.dist documents each of them.
 */
final class mailpin_settings
{
    public const MIN_SECRET_BYTES = 32;
    public const DEFAULT_MAX_AGE = 30;
    public const DEFAULT_MAIL_HOST = 'mailpin';
    public const DEFAULT_HEADER = 'X-Mailpin-Route';

    /** Connection schemes: plain TCP, plain TCP then STARTTLS, or TLS from the first byte. */
    public const SCHEMES = ['', 'tls', 'ssl'];

    private function __construct(
        public readonly string $secret,
        public readonly int $max_age,
        public readonly string $mail_host,
        public readonly string $header_name,
        public readonly string $imap_scheme,
        public readonly string $smtp_scheme,
        public readonly string $sieve_scheme
    ) {
    }

    /**
     * Reads and validates the options.
     *
     * @param callable $get function (string $name, mixed $default): mixed, such as
     *                      rcube_config::get
     *
     * @throws mailpin_settings_error when an option is invalid or the secret is missing,
     *                                unreadable or shorter than 32 bytes
     */
    public static function from_config(callable $get): self
    {
        $max_age = $get('mailpin_max_age', self::DEFAULT_MAX_AGE);
        if (!is_int($max_age) || $max_age < 1) {
            throw new mailpin_settings_error('mailpin_max_age must be a positive number of seconds');
        }

        $mail_host = $get('mailpin_mail_host', self::DEFAULT_MAIL_HOST);
        // Roundcube expands % placeholders in the host and parses a scheme or port out of it,
        // so only a bare host name keeps the stored users.mail_host equal to this value.
        if (!is_string($mail_host) || !preg_match('/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/', $mail_host)) {
            throw new mailpin_settings_error(
                'mailpin_mail_host must be a bare host name such as "mailpin", without scheme, port or %'
            );
        }

        $header_name = $get('mailpin_header', self::DEFAULT_HEADER);
        if (!is_string($header_name) || !preg_match('/^[A-Za-z0-9][A-Za-z0-9-]*$/', $header_name)) {
            throw new mailpin_settings_error('mailpin_header must be an HTTP header name such as "X-Mailpin-Route"');
        }

        return new self(
            self::read_secret($get('mailpin_secret', ''), $get('mailpin_secret_file', '')),
            $max_age,
            $mail_host,
            $header_name,
            self::scheme($get, 'mailpin_imap_scheme'),
            self::scheme($get, 'mailpin_smtp_scheme'),
            self::scheme($get, 'mailpin_sieve_scheme')
        );
    }

    /**
     * Returns the secret from the file when one is set, else the inline value, trimmed.
     */
    private static function read_secret(mixed $inline, mixed $file): string
    {
        if (!is_string($inline) || !is_string($file)) {
            throw new mailpin_settings_error('mailpin_secret and mailpin_secret_file must be strings');
        }

        if ($file !== '') {
            $content = is_file($file) && is_readable($file) ? file_get_contents($file) : false;
            if ($content === false) {
                throw new mailpin_settings_error(
                    "mailpin_secret_file $file is missing or not readable by the web server user"
                );
            }
            $secret = trim($content);
            $source = "mailpin_secret_file $file";
        } else {
            $secret = trim($inline);
            $source = 'mailpin_secret';
        }

        if (strlen($secret) < self::MIN_SECRET_BYTES) {
            throw new mailpin_settings_error(sprintf(
                'the secret from %s is %d bytes long, but it must be at least %d bytes: '
                    . 'set the same value as the gateway\'s web.secret-file',
                $source,
                strlen($secret),
                self::MIN_SECRET_BYTES
            ));
        }

        return $secret;
    }

    private static function scheme(callable $get, string $option): string
    {
        $scheme = $get($option, '');
        if ($scheme === null) {
            $scheme = '';
        }
        if (!in_array($scheme, self::SCHEMES, true)) {
            throw new mailpin_settings_error("$option must be '', 'tls' or 'ssl'");
        }

        return $scheme;
    }
}
