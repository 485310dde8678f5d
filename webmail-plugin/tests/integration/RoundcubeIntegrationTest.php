<?php

use PHPUnit\Framework\TestCase;

/**
 * Runs the installed Roundcube 1.6 with the mailpin plugin under PHP's built-in web server
 * and two stub IMAP backends, all on loopback addresses.
 *
 * Roundcube runs from a private install tree in a temporary folder: symlinks to the Debian
 * package in /usr/share/roundcube, a plugins folder that links only this plugin, its own
 * config folder and a private SQLite database. Nothing outside that folder is written.
 */
final class RoundcubeIntegrationTest extends TestCase
{
    private const ROUNDCUBE = '/usr/share/roundcube';
    private const DEFAULTS = '/etc/roundcube/defaults.inc.php';
    private const PASSWORD = 'right-password';
    private const REFUSAL = 'Login refused: this Roundcube must be reached through the Mailpin gateway.';

    /** Maximum wait for a started process to listen, in seconds. */
    private const START_TIMEOUT = 10;

    private static string $dir = '';
    private static int $web_port = 0;
    /** @var array<string, array{ip: string, port: int, events: string}> */
    private static array $backends = [];
    /** @var resource[] */
    private static array $processes = [];

    /** @var array<string, string> cookie name to value */
    private array $cookies = [];

    public static function setUpBeforeClass(): void
    {
        if (!is_file(self::ROUNDCUBE . '/index.php') || !is_file(self::DEFAULTS)) {
            self::markTestSkipped('Roundcube 1.6 from Debian (roundcube-core) is not installed');
        }

        self::$dir = sys_get_temp_dir() . '/mailpin-roundcube-' . bin2hex(random_bytes(6));
        self::build_install_tree(self::$dir);

        self::$backends = [
            'be1' => self::start_imap_stub('be1', '127.0.0.1'),
            'be2' => self::start_imap_stub('be2', '127.0.0.2'),
        ];
        self::start_web_server();
    }

    public static function tearDownAfterClass(): void
    {
        foreach (self::$processes as $process) {
            proc_terminate($process);
            proc_close($process);
        }
        self::$processes = [];

        // MAILPIN_KEEP_TEST_DIR=1 keeps Roundcube's logs and database for debugging.
        if (self::$dir !== '' && is_dir(self::$dir) && !getenv('MAILPIN_KEEP_TEST_DIR')) {
            self::remove_tree(self::$dir);
        }
    }

    public function testLoginPageTokenHeaderMatchesForm(): void
    {
        $page = $this->request('GET', '/?_task=login');

        $this->assertSame(200, $page['status']);
        $this->assertNotSame('', $this->form_token($page['body']));
        $this->assertSame($this->form_token($page['body']), $this->header_value($page, 'X-Mailpin-Request-Token'));
    }

    public function testLoginConnectsToRoutedBackend(): void
    {
        $user = 'user01@example.test';

        $response = $this->login($user, self::PASSWORD, $this->route($user, 'be1'));

        $this->assertSame(302, $response['status'], $response['body']);
        $this->assertSame('ok', $this->header_value($response, 'X-Mailpin-Login'));
        $this->assertStringContainsString('_task=mail', $this->header_value($response, 'Location'));
        $this->assertSame(["LOGIN ok $user"], $this->backend_events('be1', $user));
        $this->assertSame([], $this->backend_events('be2', $user));
    }

    public function testNextRequestFollowsMovedUser(): void
    {
        $user = 'user02@example.test';
        $login = $this->login($user, self::PASSWORD, $this->route($user, 'be1'));

        $page = $this->request('GET', '/?_task=mail', $this->route($user, 'be2'));

        $this->assertSame(200, $page['status']);
        // The new session's token is sent with the login redirect already.
        $this->assertSame(
            $this->header_value($login, 'X-Mailpin-Request-Token'),
            $this->header_value($page, 'X-Mailpin-Request-Token')
        );
        $this->assertStringContainsString('"request_token":"' . $this->header_value($page, 'X-Mailpin-Request-Token') . '"', $page['body']);
        $this->assertSame(["LOGIN ok $user"], $this->backend_events('be2', $user));
        $this->assertSame(["LOGIN ok $user"], $this->backend_events('be1', $user));
    }

    public function testGatewayVerifiedLoginNeedsNoCookiesAndKeepsMailHost(): void
    {
        $user = 'user03@example.test';
        $this->login($user, self::PASSWORD, $this->route($user, 'be1'));
        $this->cookies = [];

        $response = $this->request('POST', '/?_task=login', $this->route($user, 'be2', 'gateway-verified'), [
            '_task' => 'login',
            '_action' => 'login',
            '_token' => 'token-from-another-instance',
            '_timezone' => 'UTC',
            '_url' => '',
            '_user' => $user,
            '_pass' => self::PASSWORD,
        ]);

        $this->assertSame(302, $response['status'], $response['body']);
        $this->assertSame('ok', $this->header_value($response, 'X-Mailpin-Login'));
        $this->assertSame(["LOGIN ok $user"], $this->backend_events('be2', $user));
        $this->assertSame([['username' => $user, 'mail_host' => 'mailpin']], $this->user_rows($user));
    }

    public function testLoginWithoutRouteIsRefused(): void
    {
        $user = 'user04@example.test';

        $response = $this->login($user, self::PASSWORD, null);

        $this->assertSame(401, $response['status']);
        $this->assertSame('failed', $this->header_value($response, 'X-Mailpin-Login'));
        $this->assertSame(self::REFUSAL, $this->header_value($response, 'X-Mailpin-Login-Error'));
        $this->assertStringContainsString(self::REFUSAL, $response['body']);
        $this->assertSame([], $this->backend_events('be1', $user));
        $this->assertSame([], $this->backend_events('be2', $user));
        $this->assertSame([], $this->user_rows($user));

        $errors = (string) @file_get_contents(self::$dir . '/logs/errors.log');
        $this->assertStringContainsString("mailpin: login refused for user \"$user\": request header X-Mailpin-Route is missing", $errors);
        $this->assertStringNotContainsString(self::PASSWORD, $errors);
    }

    public function testLoginWithRouteForOtherUserIsRefused(): void
    {
        $response = $this->login('user05@example.test', self::PASSWORD, $this->route('user01@example.test', 'be1'));

        $this->assertSame('failed', $this->header_value($response, 'X-Mailpin-Login'));
        $this->assertSame(self::REFUSAL, $this->header_value($response, 'X-Mailpin-Login-Error'));
        $this->assertSame([], $this->backend_events('be1', 'user05@example.test'));
    }

    public function testWrongPasswordReportsImapError(): void
    {
        $user = 'user06@example.test';
        $password = 'wrong-password';

        $response = $this->login($user, $password, $this->route($user, 'be1'));

        $this->assertSame('failed', $this->header_value($response, 'X-Mailpin-Login'));
        $error = $this->header_value($response, 'X-Mailpin-Login-Error');
        $this->assertStringContainsString('Authentication failed', $error);
        $this->assertStringNotContainsString($password, $error);
        $this->assertLessThanOrEqual(200, strlen($error));
        $this->assertSame(["LOGIN failed $user"], $this->backend_events('be1', $user));
    }

    public function testTokenHeaderMatchesNewFormAfterFailedLogin(): void
    {
        $user = 'user07@example.test';

        $response = $this->login($user, 'wrong-password', $this->route($user, 'be1'));

        $form_token = $this->form_token($response['body']);
        $this->assertNotSame('', $form_token);
        $this->assertSame($form_token, $this->header_value($response, 'X-Mailpin-Request-Token'));
    }

    public function testRequestWithoutRouteEndsSession(): void
    {
        $user = 'user08@example.test';
        $this->login($user, self::PASSWORD, $this->route($user, 'be1'));

        $refused = $this->request('GET', '/?_task=mail');

        $this->assertSame(302, $refused['status']);
        $location = $this->header_value($refused, 'Location');
        $this->assertStringContainsString('_task=login', $location);
        $this->assertStringContainsString('_err=mailpin', $location);

        $login_page = $this->request('GET', '/' . ltrim($location, './'));
        $this->assertStringContainsString(self::REFUSAL, $login_page['body']);

        // The session is gone: even a valid route now gets the login form.
        $after = $this->request('GET', '/?_task=mail', $this->route($user, 'be1'));
        $this->assertStringContainsString('name="_user"', $after['body']);
    }

    public function testAjaxRequestWithRouteForOtherUserEndsSession(): void
    {
        $user = 'user09@example.test';
        $this->login($user, self::PASSWORD, $this->route($user, 'be1'));

        $response = $this->request(
            'GET',
            '/?_task=mail&_action=refresh&_remote=1',
            $this->route('user01@example.test', 'be1'),
            null,
            ['X-Requested-With: XMLHttpRequest']
        );

        $this->assertSame(200, $response['status']);
        $this->assertStringContainsString('session_error', $response['body']);
        $this->assertStringContainsString('_err=mailpin', $response['body']);
    }

    /**
     * Fetches the login page, then posts the login form with the page's token and cookies.
     */
    private function login(string $user, string $password, ?string $route): array
    {
        $this->cookies = [];
        $page = $this->request('GET', '/?_task=login');

        return $this->request('POST', '/?_task=login', $route, [
            '_task' => 'login',
            '_action' => 'login',
            '_token' => $this->form_token($page['body']),
            '_timezone' => 'UTC',
            '_url' => '',
            '_user' => $user,
            '_pass' => $password,
        ]);
    }

    private function route(string $user, string $backend, ?string $login = null): string
    {
        $fields = route_signer::fields([
            'user' => $user,
            'backend' => $backend,
            'host' => self::$backends[$backend]['ip'],
            'imap' => self::$backends[$backend]['port'],
            'smtp' => 0,
            'sieve' => 0,
            'login' => $login,
        ]);

        return route_signer::sign($fields);
    }

    /**
     * Sends one HTTP/1.0 request to the Roundcube server and stores the cookies it sets.
     *
     * @return array{status: int, headers: array<int, array{0: string, 1: string}>, body: string}
     */
    private function request(string $method, string $path, ?string $route = null, ?array $form = null, array $extra_headers = []): array
    {
        $socket = fsockopen('127.0.0.1', self::$web_port, $errno, $errstr, 5);
        $this->assertNotFalse($socket, "cannot connect to the Roundcube test server: $errstr");
        stream_set_timeout($socket, 30);

        $lines = ["$method $path HTTP/1.0", 'Host: 127.0.0.1:' . self::$web_port];
        if ($this->cookies) {
            $pairs = [];
            foreach ($this->cookies as $name => $value) {
                $pairs[] = "$name=$value";
            }
            $lines[] = 'Cookie: ' . implode('; ', $pairs);
        }
        if ($route !== null) {
            $lines[] = "X-Mailpin-Route: $route";
        }
        array_push($lines, ...$extra_headers);

        $body = '';
        if ($form !== null) {
            $body = http_build_query($form);
            $lines[] = 'Content-Type: application/x-www-form-urlencoded';
            $lines[] = 'Content-Length: ' . strlen($body);
        }

        fwrite($socket, implode("\r\n", $lines) . "\r\n\r\n" . $body);
        $raw = stream_get_contents($socket);
        fclose($socket);

        [$head, $content] = explode("\r\n\r\n", $raw, 2) + [1 => ''];
        $head_lines = explode("\r\n", $head);
        preg_match('#^HTTP/\d\.\d (\d{3})#', array_shift($head_lines), $status);

        $headers = [];
        foreach ($head_lines as $line) {
            [$name, $value] = array_map('trim', explode(':', $line, 2) + [1 => '']);
            $headers[] = [$name, $value];
            if (strcasecmp($name, 'Set-Cookie') === 0) {
                $this->store_cookie($value);
            }
        }

        return ['status' => (int) ($status[1] ?? 0), 'headers' => $headers, 'body' => $content];
    }

    private function store_cookie(string $set_cookie): void
    {
        [$pair] = explode(';', $set_cookie, 2);
        [$name, $value] = explode('=', $pair, 2) + [1 => ''];

        if ($value === '' || $value === 'deleted' || $value === '-del-') {
            unset($this->cookies[$name]);
        } else {
            $this->cookies[$name] = $value;
        }
    }

    /**
     * Returns the last value of a response header, as PHP sends only the last one it was given.
     */
    private function header_value(array $response, string $name): string
    {
        $found = null;
        foreach ($response['headers'] as [$header, $value]) {
            if (strcasecmp($header, $name) === 0) {
                $found = $value;
            }
        }
        $this->assertNotNull($found, "response has no $name header");

        return $found;
    }

    private function form_token(string $html): string
    {
        return preg_match('/<input type="hidden" name="_token" value="([^"]+)"/', $html, $m) ? $m[1] : '';
    }

    /**
     * Returns the LOGIN events that a stub backend recorded, optionally only for one user.
     */
    private function backend_events(string $backend, ?string $user = null): array
    {
        $content = (string) @file_get_contents(self::$backends[$backend]['events']);
        $events = array_values(array_filter(explode("\n", $content)));

        if ($user !== null) {
            $events = array_values(array_filter($events, fn (string $event) => str_ends_with($event, " $user")));
        }

        return $events;
    }

    private function user_rows(string $user): array
    {
        $db = new PDO('sqlite:' . self::$dir . '/db/roundcube.db');
        $query = $db->prepare('SELECT username, mail_host FROM users WHERE username = ?');
        $query->execute([$user]);

        return $query->fetchAll(PDO::FETCH_ASSOC);
    }

    /**
     * Builds a Roundcube install tree that loads this plugin; see the class comment.
     */
    private static function build_install_tree(string $dir): void
    {
        foreach (['config', 'db', 'logs', 'temp', 'plugins', 'public_html'] as $folder) {
            mkdir("$dir/$folder", 0700, true);
        }

        foreach (['index.php', 'program', 'SQL', 'skins'] as $entry) {
            symlink(self::ROUNDCUBE . "/$entry", "$dir/$entry");
        }
        symlink(realpath(__DIR__ . '/../../mailpin'), "$dir/plugins/mailpin");
        // Roundcube 1.6 always loads these two.
        foreach (['filesystem_attachments', 'jqueryui'] as $required) {
            symlink(self::ROUNDCUBE . "/plugins/$required", "$dir/plugins/$required");
        }
        symlink('../skins', "$dir/public_html/skins");
        symlink('../plugins', "$dir/public_html/plugins");

        file_put_contents("$dir/public_html/index.php", implode("\n", [
            '<?php',
            "define('INSTALL_PATH', dirname(__DIR__) . '/');",
            "require INSTALL_PATH . 'index.php';",
            '',
        ]));

        copy(self::DEFAULTS, "$dir/config/defaults.inc.php");
        file_put_contents("$dir/secret", route_signer::SECRET . "\n");

        $config = [
            'db_dsnw' => "sqlite:///$dir/db/roundcube.db?mode=0600",
            'imap_host' => 'mailpin',
            'smtp_host' => 'mailpin',
            'des_key' => bin2hex(random_bytes(12)),
            'plugins' => ['mailpin'],
            'log_driver' => 'file',
            'log_dir' => "$dir/logs/",
            'temp_dir' => "$dir/temp/",
            'skin' => 'elastic',
            'enable_spellcheck' => false,
            'enable_installer' => false,
        ];
        file_put_contents("$dir/config/config.inc.php", "<?php\n\$config = " . var_export($config, true) . ";\n");

        // The plugin reads its options from mailpin.inc.php in the config folder when its own
        // folder has no config.inc.php, as README.md describes.
        $plugin_config = ['mailpin_secret_file' => "$dir/secret", 'mailpin_mail_host' => 'mailpin'];
        file_put_contents("$dir/config/mailpin.inc.php", "<?php\n\$config = " . var_export($plugin_config, true) . ";\n");
    }

    private static function start_imap_stub(string $name, string $ip): array
    {
        $port_file = self::$dir . "/$name.port";
        $events = self::$dir . "/$name.events";
        touch($events);

        self::start_process(
            [PHP_BINARY, __DIR__ . '/../support/imap_stub.php', $ip, $port_file, $events, self::PASSWORD, '120'],
            self::$dir . "/logs/$name.out"
        );

        $deadline = microtime(true) + self::START_TIMEOUT;
        while (!is_file($port_file) || filesize($port_file) === 0) {
            if (microtime(true) > $deadline) {
                self::fail("IMAP stub $name did not start within " . self::START_TIMEOUT . ' s');
            }
            usleep(50000);
        }

        return ['ip' => $ip, 'port' => (int) file_get_contents($port_file), 'events' => $events];
    }

    private static function start_web_server(): void
    {
        // Take a free port from the kernel; the server binds it a moment later.
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $address = stream_socket_get_name($probe, false);
        fclose($probe);
        self::$web_port = (int) substr($address, strrpos($address, ':') + 1);

        self::start_process(
            [PHP_BINARY, '-S', '127.0.0.1:' . self::$web_port, '-t', self::$dir . '/public_html'],
            self::$dir . '/logs/web-server.out',
            ['ROUNDCUBE_CONFIG_DIR' => self::$dir . '/config', 'PATH' => (string) getenv('PATH')]
        );

        $deadline = microtime(true) + self::START_TIMEOUT;
        while (($socket = @fsockopen('127.0.0.1', self::$web_port, $errno, $errstr, 1)) === false) {
            if (microtime(true) > $deadline) {
                self::fail('PHP web server did not start within ' . self::START_TIMEOUT . " s: $errstr");
            }
            usleep(50000);
        }
        fclose($socket);
    }

    private static function start_process(array $command, string $output_file, ?array $environment = null): void
    {
        $process = proc_open(
            $command,
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $output_file, 'a'], 2 => ['file', $output_file, 'a']],
            $pipes,
            self::$dir,
            $environment
        );
        if ($process === false) {
            self::fail('cannot start ' . implode(' ', $command));
        }
        self::$processes[] = $process;
    }

    private static function remove_tree(string $path): void
    {
        if (is_link($path) || is_file($path)) {
            unlink($path);

            return;
        }

        foreach (scandir($path) as $entry) {
            if ($entry !== '.' && $entry !== '..') {
                self::remove_tree("$path/$entry");
            }
        }
        rmdir($path);
    }
}
