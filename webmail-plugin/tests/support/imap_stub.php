<?php

/*
 * A minimal IMAP server for the integration test, one connection at a time.
 *
 * Usage: php imap_stub.php LISTEN_IP PORT_FILE EVENT_FILE PASSWORD LIFETIME_SECONDS
 *
 * It listens on LISTEN_IP with a port chosen by the kernel, writes that port to PORT_FILE and
 * appends one line per LOGIN to EVENT_FILE ("LOGIN ok USER" or "LOGIN failed USER"). LOGIN
 * succeeds when the password equals PASSWORD. Every other command gets an empty OK reply,
 * which is enough for Roundcube to log in and load the mail page. The process exits after
 * LIFETIME_SECONDS.
 */

[, $listen_ip, $port_file, $event_file, $password, $lifetime] = $argv + array_fill(0, 6, null);
if ($lifetime === null) {
    fwrite(STDERR, "usage: php imap_stub.php LISTEN_IP PORT_FILE EVENT_FILE PASSWORD LIFETIME_SECONDS\n");
    exit(2);
}
if (!preg_match('/^127\.\d+\.\d+\.\d+$/', $listen_ip)) {
    fwrite(STDERR, "imap_stub: listen address must be a loopback IPv4 address, got $listen_ip\n");
    exit(2);
}

$server = stream_socket_server("tcp://$listen_ip:0", $errno, $errstr);
if ($server === false) {
    fwrite(STDERR, "imap_stub: cannot listen on $listen_ip: $errstr\n");
    exit(1);
}
$address = stream_socket_get_name($server, false);
file_put_contents($port_file, substr($address, strrpos($address, ':') + 1));

$deadline = time() + (int) $lifetime;
while (time() < $deadline) {
    $client = @stream_socket_accept($server, 1);
    if ($client !== false) {
        serve($client, $event_file, $password, $deadline);
        fclose($client);
    }
}

function serve($client, string $event_file, string $password, int $deadline): void
{
    stream_set_timeout($client, 10);
    fwrite($client, "* OK [CAPABILITY IMAP4rev1] mailpin test stub ready\r\n");

    while (time() < $deadline && ($line = fgets($client)) !== false) {
        if (!preg_match('/^(\S+) (\S+)(?: (.*))?\r?\n$/', $line, $m)) {
            fwrite($client, "* BAD unparsable line\r\n");
            continue;
        }
        $tag = $m[1];
        $command = strtoupper($m[2]);
        $arguments = $m[3] ?? '';

        switch ($command) {
            case 'CAPABILITY':
                fwrite($client, "* CAPABILITY IMAP4rev1\r\n$tag OK done\r\n");
                break;
            case 'LOGIN':
                $strings = parse_strings($arguments);
                $user = $strings[0] ?? '';
                $ok = ($strings[1] ?? null) === $password;
                file_put_contents($event_file, 'LOGIN ' . ($ok ? 'ok' : 'failed') . " $user\n", FILE_APPEND);
                fwrite($client, $ok
                    ? "$tag OK [CAPABILITY IMAP4rev1] Logged in\r\n"
                    : "$tag NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
                break;
            case 'LIST':
            case 'LSUB':
                fwrite($client, "* $command () \"/\" INBOX\r\n$tag OK done\r\n");
                break;
            case 'SELECT':
            case 'EXAMINE':
                fwrite($client, "* FLAGS ()\r\n* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT 1] ok\r\n$tag OK [READ-WRITE] done\r\n");
                break;
            case 'LOGOUT':
                fwrite($client, "* BYE bye\r\n$tag OK done\r\n");

                return;
            default:
                fwrite($client, "$tag OK done\r\n");
        }
    }
}

/**
 * Returns the quoted strings and atoms of a command's arguments, unescaped.
 */
function parse_strings(string $arguments): array
{
    preg_match_all('/"((?:[^"\\\\]|\\\\.)*)"|(\S+)/', $arguments, $matches, PREG_SET_ORDER);

    return array_map(
        fn (array $match) => isset($match[2]) ? $match[2] : preg_replace('/\\\\(.)/', '$1', $match[1]),
        $matches
    );
}
