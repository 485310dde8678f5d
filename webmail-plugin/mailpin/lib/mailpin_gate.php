<?php

require_once __DIR__ . '/mailpin_endpoint.php';
require_once __DIR__ . '/mailpin_header_value.php';
require_once __DIR__ . '/mailpin_route.php';
require_once __DIR__ . '/mailpin_settings.php';

/**
 * The plugin's decisions for one HTTP request, free of Roundcube globals.
 *
 * Each hook method takes the hook's argument array and returns it changed. Every path without
 * a valid route for the right user fails closed: the login is refused, or the connection is
 * pointed at an empty host (IMAP, ManageSieve) or a socket that cannot exist (SMTP).
 */
final class mailpin_gate
{
    /** Maximum length of the X-Mailpin-Login-Error header value, in bytes. */
    public const MAX_ERROR_BYTES = 200;

    private bool $checked = false;
    private ?mailpin_route $route = null;
    private string $route_error = '';
    private bool $login_refused = false;

    /** @var callable(string): void */
    private $log;

    /**
     * @param ?mailpin_settings $settings       null when the options are invalid
     * @param string            $settings_error why the options are invalid, or ''
     * @param ?string           $header_value   the X-Mailpin-Route request header, or null
     * @param int               $now            current Unix time in seconds
     * @param callable          $log            function (string $message): void, receives
     *                                          messages that never contain secrets
     * @param string            $refusal_message text shown to the user on a refused login
     */
    public function __construct(
        private readonly ?mailpin_settings $settings,
        private readonly string $settings_error,
        private readonly ?string $header_value,
        private readonly int $now,
        callable $log,
        private readonly string $refusal_message
    ) {
        $this->log = $log;
    }

    /**
     * Returns the verified route of this request, or null when it is missing or invalid.
     */
    public function route(): ?mailpin_route
    {
        if ($this->checked) {
            return $this->route;
        }
        $this->checked = true;

        if ($this->settings === null) {
            $this->route_error = 'plugin configuration is invalid: ' . $this->settings_error;

            return null;
        }

        $header_name = $this->settings->header_name;
        if ($this->header_value === null || trim($this->header_value) === '') {
            $this->route_error = "request header $header_name is missing";

            return null;
        }

        try {
            $this->route = mailpin_route::verify(
                $this->header_value,
                $this->settings->secret,
                $this->settings->max_age,
                $this->now
            );
        } catch (mailpin_route_error $e) {
            $this->route_error = "request header $header_name is invalid: " . $e->getMessage();
        }

        return $this->route;
    }

    /**
     * Returns why route() returned null, or '' when it returned a route.
     */
    public function route_error(): string
    {
        $this->route();

        return $this->route_error;
    }

    /**
     * Handles Roundcube's 'authenticate' hook on a login POST.
     *
     * With a valid route for the posted user, the host becomes the constant mail host, so the
     * users.mail_host column stays the same whichever backend serves the user. Without one,
     * the login is aborted with the refusal message.
     */
    public function authenticate(array $args): array
    {
        $user = (string) ($args['user'] ?? '');
        $route = $this->route_for_user($user, 'login');

        if ($route === null) {
            $this->login_refused = true;
            $args['valid'] = false;
            $args['abort'] = true;
            $args['error'] = $this->refusal_message;

            return $args;
        }

        $args['host'] = $this->settings->mail_host;

        // The login form came from another Roundcube instance, so the browser's cookies and
        // request token belong there. The gateway checked Origin and the token instead.
        if ($route->is_gateway_verified_login()) {
            $args['valid'] = true;
            $args['cookiecheck'] = false;
        }

        return $args;
    }

    /**
     * Handles the 'storage_connect' hook: points the IMAP connection at the route's backend.
     */
    public function storage_connect(array $args): array
    {
        $route = $this->route_for_user((string) ($args['user'] ?? ''), 'IMAP connection');
        if ($route === null || !$this->has_service($route, $route->imap_port, 'IMAP')) {
            // rcube_imap_generic fails with "Empty host" before it opens a socket.
            $args['host'] = '';
            $args['break'] = true;

            return $args;
        }

        $args['host'] = mailpin_endpoint::socket_host($route->host);
        $args['port'] = $route->imap_port;
        $args['ssl_mode'] = $this->settings->imap_scheme === '' ? null : $this->settings->imap_scheme;

        return $args;
    }

    /**
     * Handles the 'smtp_connect' hook: points the SMTP connection at the route's backend.
     *
     * @param string $session_user the logged-in user's name, because smtp_user is only a
     *                             template such as "%u"
     */
    public function smtp_connect(array $args, string $session_user): array
    {
        $route = $this->route_for_user($session_user, 'SMTP connection');
        if ($route === null || !$this->has_service($route, $route->smtp_port, 'SMTP')) {
            $args['smtp_host'] = mailpin_endpoint::UNREACHABLE_SOCKET;
            $args['break'] = true;

            return $args;
        }

        $args['smtp_host'] = mailpin_endpoint::uri($route->host, $route->smtp_port, $this->settings->smtp_scheme);

        return $args;
    }

    /**
     * Handles the managesieve plugin's 'managesieve_connect' hook.
     */
    public function managesieve_connect(array $args): array
    {
        $route = $this->route_for_user((string) ($args['user'] ?? ''), 'ManageSieve connection');
        if ($route === null || !$this->has_service($route, $route->sieve_port, 'ManageSieve')) {
            // Net_Socket fails with "$addr cannot be empty" before it opens a socket.
            $args['host'] = '';
            $args['break'] = true;

            return $args;
        }

        $args['host'] = mailpin_endpoint::uri($route->host, $route->sieve_port, $this->settings->sieve_scheme);

        return $args;
    }

    /**
     * Tells whether a logged-in session of $session_user may go on with this request.
     */
    public function session_allowed(string $session_user): bool
    {
        return $this->route_for_user($session_user, 'session') !== null;
    }

    /**
     * Builds the X-Mailpin-Login-Error value after a failed login.
     *
     * @param string $storage_error the IMAP server's error text, or ''
     * @param string $fallback      Roundcube's error code in words, used when there is no
     *                              IMAP error text
     * @param string $password      the posted password, removed from the text if it occurs
     */
    public function login_error_text(string $storage_error, string $fallback, string $password): string
    {
        if ($this->login_refused) {
            $text = $this->refusal_message;
        } elseif (trim($storage_error) !== '') {
            $text = $storage_error;
        } else {
            $text = $fallback;
        }

        return mailpin_header_value::single_line($text, self::MAX_ERROR_BYTES, [$password]);
    }

    /**
     * Returns the route when it is valid and for $user, else logs why not and returns null.
     */
    private function route_for_user(string $user, string $purpose): ?mailpin_route
    {
        $route = $this->route();
        if ($route === null) {
            $this->log(sprintf('%s refused for user %s: %s', $purpose, $this->quote($user), $this->route_error));

            return null;
        }

        if (!$route->is_for_user($user)) {
            $this->log(sprintf(
                '%s refused for user %s: request header %s is for user %s',
                $purpose,
                $this->quote($user),
                $this->settings->header_name,
                $this->quote($route->user)
            ));

            return null;
        }

        return $route;
    }

    private function has_service(mailpin_route $route, int $port, string $service): bool
    {
        if ($port !== 0) {
            return true;
        }

        $this->log(sprintf(
            '%s connection refused for user %s: backend %s has no %s port (0 in the route)',
            $service,
            $this->quote($route->user),
            $this->quote($route->backend),
            $service
        ));

        return false;
    }

    /**
     * Quotes a user or backend name for a log line, so control characters cannot forge lines.
     */
    private function quote(string $name): string
    {
        return json_encode($name, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    }

    private function log(string $message): void
    {
        ($this->log)($message);
    }
}
