<?php

use PHPUnit\Framework\TestCase;

/**
 * Checks the Roundcube plugin class itself, with Roundcube's rcube_plugin base class loaded
 * from the Debian package and a stand-in for the plugin API.
 */
final class MailpinPluginTest extends TestCase
{
    private const RCUBE_PLUGIN = '/usr/share/roundcube/program/lib/Roundcube/rcube_plugin.php';

    public static function setUpBeforeClass(): void
    {
        if (!class_exists('rcube_plugin', false)) {
            if (!is_file(self::RCUBE_PLUGIN)) {
                self::markTestSkipped('Roundcube is not installed at /usr/share/roundcube');
            }
            require_once self::RCUBE_PLUGIN;
        }
        require_once __DIR__ . '/../../mailpin/mailpin.php';
    }

    public function testInitRegistersAllHooks(): void
    {
        $api = new class {
            public string $dir = '/plugins/';
            public string $url = 'plugins/';
            public array $hooks = [];

            public function register_hook(string $hook, callable $callback): void
            {
                $this->hooks[$hook] = $callback;
            }
        };

        $plugin = new mailpin($api);
        $plugin->init();

        $this->assertSame(
            ['startup', 'authenticate', 'login_after', 'login_failed', 'storage_connect', 'smtp_connect', 'managesieve_connect'],
            array_keys($api->hooks)
        );
        foreach ($api->hooks as $hook => $callback) {
            $this->assertSame([$plugin, $hook], $callback, "hook $hook");
        }
    }

    public function testPluginRunsForEveryTaskAndRequestKind(): void
    {
        $plugin = new mailpin(new class {
            public string $dir = '/plugins/';
            public string $url = 'plugins/';
        });

        $this->assertNull($plugin->task);
        $this->assertFalse($plugin->noajax);
        $this->assertFalse($plugin->noframe);
    }
}
