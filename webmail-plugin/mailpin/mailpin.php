<?php

require_once __DIR__ . '/lib/mailpin_gate.php';

/**
 * Mailpin: lets the Mailpin web gateway choose the Dovecot backend for every request.
 *
 * The gateway signs an X-Mailpin-Route header naming the user's backend. This plugin verifies
 * it, connects IMAP, SMTP and ManageSieve to that backend and refuses logins and sessions that
 * arrive without it. docs/gateway-plugin-protocol.md in the Mailpin repository is the contract
 * with the gateway. The decisions live in lib/mailpin_gate.php; this class only connects them
 * to Roundcube.
 *
 * @license GNU GPLv3+
 */
class mailpin extends rcube_plugin
{
    /** Value of the _err parameter on the login page after this plugin ended a session. */
    private const LOGIN_PAGE_ERROR = 'mailpin';

    private ?mailpin_gate $gate = null;
    private string $posted_password = '';

    public function init()
    {
        $this->add_hook('startup', [$this, 'startup']);
        $this->add_hook('authenticate', [$this, 'authenticate']);
        $this->add_hook('login_after', [$this, 'login_after']);
        $this->add_hook('login_failed', [$this, 'login_failed']);
        $this->add_hook('storage_connect', [$this, 'storage_connect']);
        $this->add_hook('smtp_connect', [$this, 'smtp_connect']);
        $this->add_hook('managesieve_connect', [$this, 'managesieve_connect']);
    }

    /**
     * Sends the request token header and ends a logged-in session that has no valid route.
     */
    public function startup($args)
    {
        $rcmail = rcmail::get_instance();
        $this->start_request_token_header($rcmail);

        $is_login_post = $args['task'] === 'login' && $args['action'] === 'login';

        // A login POST is checked by authenticate(), and Roundcube replaces the old session
        // when the login is valid.
        if (!empty($_SESSION['user_id']) && !$is_login_post) {
            if (!$this->gate()->session_allowed((string) ($_SESSION['username'] ?? ''))) {
                $this->end_session($rcmail);
            }
        } elseif (
            $args['task'] === 'login'
            && rcube_utils::get_input_string('_err', rcube_utils::INPUT_GET) === self::LOGIN_PAGE_ERROR
        ) {
            $this->add_texts('localization/');
            $rcmail->output->show_message('mailpin.loginrefused', 'error', null, true, -1);
        }

        return $args;
    }

    public function authenticate($args)
    {
        $this->posted_password = (string) ($args['pass'] ?? '');

        return $this->gate()->authenticate($args);
    }

    public function login_after($args)
    {
        $this->send_header('X-Mailpin-Login: ok');
        $this->posted_password = '';

        return $args;
    }

    public function login_failed($args)
    {
        $rcmail = rcmail::get_instance();
        $storage_error = $rcmail->storage instanceof rcube_imap ? (string) $rcmail->storage->get_error_str() : '';
        $text = $this->gate()->login_error_text(
            $storage_error,
            $this->describe_login_error((int) ($args['code'] ?? 0)),
            $this->posted_password
        );
        $this->posted_password = '';

        $this->send_header('X-Mailpin-Login: failed');
        $this->send_header('X-Mailpin-Login-Error: ' . $text);

        return $args;
    }

    public function storage_connect($args)
    {
        return $this->gate()->storage_connect($args);
    }

    public function smtp_connect($args)
    {
        return $this->gate()->smtp_connect($args, (string) rcmail::get_instance()->get_user_name());
    }

    public function managesieve_connect($args)
    {
        return $this->gate()->managesieve_connect($args);
    }

    /**
     * Sends the session's request token now and again when PHP sends the response headers.
     *
     * Roundcube can replace the token later in the request (a failed login ends the session
     * and the new login form carries a new token), so the header callback sends the final
     * value. The shutdown function runs before Roundcube writes the session, so a token it
     * creates is stored and matches the header.
     */
    private function start_request_token_header(rcmail $rcmail): void
    {
        if (headers_sent($file, $line)) {
            rcube::write_log('errors', "mailpin: cannot send X-Mailpin-Request-Token, output already started at $file:$line");

            return;
        }

        $this->send_header('X-Mailpin-Request-Token: ' . self::header_token($rcmail->get_request_token()));

        $rcmail->add_shutdown_function(static function () use ($rcmail): void {
            $rcmail->get_request_token();
        });

        // NOTE: PHP keeps a single header callback per request, so a later
        // header_register_callback() call by other code replaces this one. The header sent
        // above then stays, with the token as it was at startup.
        header_register_callback(static function (): void {
            if (!empty($_SESSION['request_token']) && is_string($_SESSION['request_token'])) {
                header('X-Mailpin-Request-Token: ' . self::header_token($_SESSION['request_token']));
            }
        });
    }

    /**
     * Ends the session and sends the browser to the login page, which shows the refusal.
     * Does not return.
     */
    private function end_session(rcmail $rcmail): void
    {
        $rcmail->kill_session();

        $login_url = $rcmail->url(['_task' => 'login', '_err' => self::LOGIN_PAGE_ERROR]);

        if ($rcmail->output->ajax_call || $rcmail->output->get_env('framed')) {
            // Same reply as Roundcube's own for an expired session: the page's script loads
            // the URL in the top window.
            $rcmail->output->command('session_error', $login_url);
            $rcmail->output->send('iframe');
        }

        $rcmail->output->redirect(['_task' => 'login', '_err' => self::LOGIN_PAGE_ERROR]);
    }

    /**
     * Returns the request's gate, reading the options and the route header on first use.
     */
    private function gate(): mailpin_gate
    {
        if ($this->gate !== null) {
            return $this->gate;
        }

        $rcmail = rcmail::get_instance();
        $this->load_config();
        $this->add_texts('localization/');

        $settings = null;
        $settings_error = '';
        try {
            $settings = mailpin_settings::from_config([$rcmail->config, 'get']);
        } catch (mailpin_settings_error $e) {
            $settings_error = $e->getMessage();
        }

        $header_name = $settings ? $settings->header_name : mailpin_settings::DEFAULT_HEADER;
        $client_ip = rcube_utils::remote_ip();

        $this->gate = new mailpin_gate(
            $settings,
            $settings_error,
            rcube_utils::request_header($header_name),
            time(),
            static function (string $message) use ($client_ip): void {
                rcube::write_log('errors', "mailpin: $message (client $client_ip)");
            },
            $this->gettext('loginrefused')
        );

        return $this->gate;
    }

    /**
     * Returns Roundcube's login error code in words, for X-Mailpin-Login-Error.
     */
    private function describe_login_error(int $code): string
    {
        $names = [
            rcmail::ERROR_STORAGE          => 'storage error',
            rcmail::ERROR_INVALID_REQUEST  => 'invalid request',
            rcmail::ERROR_INVALID_HOST     => 'invalid host',
            rcmail::ERROR_COOKIES_DISABLED => 'cookies disabled',
            rcmail::ERROR_RATE_LIMIT       => 'account locked',
        ];

        return sprintf('Roundcube login error %d: %s', $code, $names[$code] ?? 'login failed');
    }

    /**
     * Returns the token as one header line. Roundcube's tokens are alphanumeric, but a
     * 'request_token' hook of another plugin may set any string.
     */
    private static function header_token(string $token): string
    {
        return mailpin_header_value::single_line($token, 200);
    }

    private function send_header(string $header): void
    {
        if (headers_sent()) {
            rcube::write_log('errors', 'mailpin: cannot send a response header, output already started');

            return;
        }

        header($header);
    }
}
